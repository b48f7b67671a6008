"""Connected groups of cells joined by their sides, numbered as scipy's ``ndimage.label``
numbers them (1, 2, ... in the raster order of each group's first cell; 0 outside), compiled:
isochrones label a few masks per request, and scipy's fixed cost per call was most of that."""

import numpy as np
from numba import njit


def label_side_by_side(mask: np.ndarray) -> np.ndarray:
    """The group number of every cell of a 2-D boolean ``mask`` (0 where False)."""
    labels = np.zeros(mask.shape, np.int32)
    _label(np.ascontiguousarray(mask), labels)
    return labels


@njit(cache=True, nogil=True)
def _label(mask, labels):  # type: ignore[no-untyped-def]
    height, width = mask.shape
    stack = np.empty(height * width, np.int64)
    count = 0
    for start in range(height * width):
        r0, c0 = divmod(start, width)
        if not mask[r0, c0] or labels[r0, c0]:
            continue
        count += 1
        labels[r0, c0] = count
        stack[0] = start
        size = 1
        while size > 0:
            size -= 1
            r, c = divmod(stack[size], width)
            for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                rr, cc = r + dr, c + dc
                if 0 <= rr < height and 0 <= cc < width and mask[rr, cc] and not labels[rr, cc]:
                    labels[rr, cc] = count
                    stack[size] = rr * width + cc
                    size += 1
