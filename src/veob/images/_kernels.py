"""Numba kernels of the patch embedder (NumPy twins in ``_reference``).

Images are C-contiguous float32 arrays of shape (n, h, w, c) validated at the
Python boundary; filters are (n_filters, k, k, c) float32. Every kernel uses
"same" zero padding: output pixel (y, x) sees input pixels
``(y + u - pad, x + v - pad)`` for ``0 <= u, v < k`` with
``pad = (k - 1) // 2``, outside pixels being 0. Each image is processed by
one thread with its own loops, so a pixel's value does not depend on the
batch it is computed in.
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, parallel=True)
def extract_patches(images, k, remove_mean, out):
    """All k x k x c patches, one row per pixel: out[(i*h + y)*w + x, (u*k + v)*c + ch].

    With ``remove_mean`` each row has its own mean subtracted.
    """
    n, h, w, c = images.shape
    pad = (k - 1) // 2
    m = k * k * c
    for i in prange(n):
        for y in range(h):
            for x in range(w):
                row = (i * h + y) * w + x
                total = 0.0
                for u in range(k):
                    yy = y + u - pad
                    for v in range(k):
                        xx = x + v - pad
                        base = (u * k + v) * c
                        if 0 <= yy < h and 0 <= xx < w:
                            for ch in range(c):
                                value = images[i, yy, xx, ch]
                                out[row, base + ch] = value
                                total += value
                        else:
                            for ch in range(c):
                                out[row, base + ch] = 0.0
                if remove_mean:
                    mean = np.float32(total / m)
                    for j in range(m):
                        out[row, j] -= mean


@njit(cache=True, nogil=True)
def _correlate_one(image, filters, pad_buf, out):
    """out[f, y, x] = sum_{u, v, ch} filters[f, u, v, ch] * image[y + u - pad, x + v - pad, ch]."""
    h, w, c = image.shape
    n_filters, k = filters.shape[0], filters.shape[1]
    pad = (k - 1) // 2
    pad_buf[:] = 0.0
    for ch in range(c):
        for y in range(h):
            for x in range(w):
                pad_buf[ch, y + pad, x + pad] = image[y, x, ch]
    out[:] = 0.0
    for f in range(n_filters):
        for ch in range(c):
            for u in range(k):
                for v in range(k):
                    wt = filters[f, u, v, ch]
                    for y in range(h):
                        src = pad_buf[ch, y + u]
                        dst = out[f, y]
                        for x in range(w):
                            dst[x] += wt * src[x + v]


@njit(cache=True, nogil=True, parallel=True)
def correlate(images, filters, out):
    """Same-size correlation of every image with every filter: out (n, n_filters, h, w)."""
    n, h, w, c = images.shape
    k = filters.shape[1]
    for i in prange(n):
        pad_buf = np.empty((c, h + k - 1, w + k - 1), dtype=np.float32)
        _correlate_one(images[i], filters, pad_buf, out[i])


@njit(cache=True, nogil=True, parallel=True)
def hash_codes(maps, filters, codes):
    """Binary hashing of the filter responses of every map.

    ``maps`` is (n, n_maps, h, w, c): map m of image i is filtered by the
    (n_filters, k, k, c) bank; response f > 0 sets bit f of the pixel's code,
    ``codes[i, m, y, x] = sum_f 2**f [response_f > 0]``.
    """
    n, n_maps, h, w, c = maps.shape
    n_filters, k = filters.shape[0], filters.shape[1]
    for i in prange(n):
        pad_buf = np.empty((c, h + k - 1, w + k - 1), dtype=np.float32)
        resp = np.empty((n_filters, h, w), dtype=np.float32)
        for m in range(n_maps):
            _correlate_one(maps[i, m], filters, pad_buf, resp)
            for y in range(h):
                for x in range(w):
                    code = 0
                    for f in range(n_filters):
                        if resp[f, y, x] > 0:
                            code += 1 << f
                    codes[i, m, y, x] = code


@njit(cache=True, nogil=True, parallel=True)
def block_histograms(codes, block_h, block_w, stride_y, stride_x, out):
    """``out[i, m, b, code]`` += 1 for every pixel of block b of code map (i, m).

    Blocks of ``block_h x block_w`` pixels every ``stride_y`` rows and
    ``stride_x`` columns, row-major; ``out`` must be zero on entry.
    """
    n, n_maps, h, w = codes.shape
    by_count = (h - block_h) // stride_y + 1
    bx_count = (w - block_w) // stride_x + 1
    for i in prange(n):
        for m in range(n_maps):
            for by in range(by_count):
                for bx in range(bx_count):
                    b = by * bx_count + bx
                    for y in range(by * stride_y, by * stride_y + block_h):
                        for x in range(bx * stride_x, bx * stride_x + block_w):
                            out[i, m, b, codes[i, m, y, x]] += 1.0
