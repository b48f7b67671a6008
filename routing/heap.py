"""A binary min-heap of (seconds, vertex) in two preallocated arrays, for compiled searches."""

from numba import njit


@njit(cache=True, nogil=True)
def push(heap_s, heap_v, size, key, vertex):  # type: ignore[no-untyped-def]
    """Add ``vertex`` at ``key`` to the binary min-heap of ``size`` entries; the new size."""
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if heap_s[parent] <= key:
            break
        heap_s[i], heap_v[i] = heap_s[parent], heap_v[parent]
        i = parent
    heap_s[i], heap_v[i] = key, vertex
    return size + 1


@njit(cache=True, nogil=True)
def pop(heap_s, heap_v, size):  # type: ignore[no-untyped-def]
    """Drop the heap's top (read it first from index 0); the new size."""
    size -= 1
    key, vertex = heap_s[size], heap_v[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and heap_s[child + 1] < heap_s[child]:
            child += 1
        if key <= heap_s[child]:
            break
        heap_s[i], heap_v[i] = heap_s[child], heap_v[child]
        i = child
    heap_s[i], heap_v[i] = key, vertex
    return size
