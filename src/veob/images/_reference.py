"""Slow, obviously correct NumPy twins of the numba kernels (for tests)."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _windows(images, k):
    """(n, h, w, k, k, c) windows of the zero-padded images ("same" size)."""
    pad = (k - 1) // 2
    padded = np.pad(images, ((0, 0), (pad, k - 1 - pad), (pad, k - 1 - pad), (0, 0)))
    win = sliding_window_view(padded, (k, k), axis=(1, 2))  # (n, h, w, c, k, k)
    return win.transpose(0, 1, 2, 4, 5, 3)


def extract_patches_reference(images, k, remove_mean):
    n, h, w, c = images.shape
    rows = _windows(images.astype(np.float64), k).reshape(n * h * w, k * k * c)
    if remove_mean:
        rows = rows - rows.mean(axis=1, keepdims=True)
    return rows


def correlate_reference(images, filters):
    """out[i, f, y, x] = <window(i, y, x), filters[f]>."""
    win = _windows(images.astype(np.float64), filters.shape[1])
    return np.einsum("nyxuvc,fuvc->nfyx", win, filters.astype(np.float64))


def hash_codes_reference(maps, filters):
    n, n_maps, h, w, c = maps.shape
    weights = 2 ** np.arange(filters.shape[0])
    codes = np.empty((n, n_maps, h, w), dtype=np.int64)
    for m in range(n_maps):
        resp = correlate_reference(maps[:, m], filters)  # (n, f, h, w)
        codes[:, m] = np.tensordot(weights, (resp > 0).astype(np.int64), axes=(0, 1))
    return codes


def block_histograms_reference(codes, n_bins, block_h, block_w, stride_y, stride_x):
    n, n_maps, h, w = codes.shape
    by_count = (h - block_h) // stride_y + 1
    bx_count = (w - block_w) // stride_x + 1
    out = np.zeros((n, n_maps, by_count * bx_count, n_bins))
    for i in range(n):
        for m in range(n_maps):
            for by in range(by_count):
                for bx in range(bx_count):
                    sub = codes[i, m, by * stride_y:by * stride_y + block_h, bx * stride_x:bx * stride_x + block_w]
                    out[i, m, by * bx_count + bx] = np.bincount(sub.ravel(), minlength=n_bins)
    return out
