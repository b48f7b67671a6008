"""Connected groups of cells joined by their sides, numbered as scipy's ``ndimage.label``
numbers them (1, 2, ... in the raster order of each group's first cell; 0 outside).

Isochrones label a few masks per request: on a walk's small masks scipy's fixed cost per call
was most of the work, so those are flooded in compiled code; large masks, where scipy's
two-pass labelling is the quicker, go to scipy."""

import numpy as np
from numba import njit
from scipy import ndimage

COMPILED_MAX_CELLS = 20_000


def label_side_by_side(mask: np.ndarray) -> np.ndarray:
    """The group number of every cell of a 2-D boolean ``mask`` (0 where False)."""
    if mask.size > COMPILED_MAX_CELLS:
        return ndimage.label(mask)[0]
    labels = np.zeros(mask.shape, np.int32)
    _label(np.ascontiguousarray(mask), labels)
    return labels


@njit(cache=True, nogil=True)
def _label(mask, labels):  # type: ignore[no-untyped-def]
    """Flood each new group from its first cell in raster order (a stack of cells)."""
    height, width = mask.shape
    stack_r = np.empty(height * width, np.int32)
    stack_c = np.empty(height * width, np.int32)
    count = 0
    for r0 in range(height):
        for c0 in range(width):
            if not mask[r0, c0] or labels[r0, c0]:
                continue
            count += 1
            labels[r0, c0] = count
            stack_r[0], stack_c[0] = r0, c0
            size = 1
            while size > 0:
                size -= 1
                r, c = stack_r[size], stack_c[size]
                if r > 0 and mask[r - 1, c] and not labels[r - 1, c]:
                    labels[r - 1, c] = count
                    stack_r[size], stack_c[size] = r - 1, c
                    size += 1
                if r + 1 < height and mask[r + 1, c] and not labels[r + 1, c]:
                    labels[r + 1, c] = count
                    stack_r[size], stack_c[size] = r + 1, c
                    size += 1
                if c > 0 and mask[r, c - 1] and not labels[r, c - 1]:
                    labels[r, c - 1] = count
                    stack_r[size], stack_c[size] = r, c - 1
                    size += 1
                if c + 1 < width and mask[r, c + 1] and not labels[r, c + 1]:
                    labels[r, c + 1] = count
                    stack_r[size], stack_c[size] = r, c + 1
                    size += 1
