"""Inputs shared by the benchmark modules (real data when available, else synthetic)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import scipy.sparse as sp


def data_root():
    root = os.environ.get("VEOB_DATA")
    return Path(root) if root and Path(root).is_dir() else None


def mnist_pixels(quick=False):
    """MNIST train pixels / 255 as (60000, 784) float32 (synthetic stand-in if absent or quick)."""
    root = data_root()
    if root is not None and not quick:
        with gzip.open(root / "mnist" / "train-images-idx3-ubyte.gz") as fh:
            raw = fh.read()
        return np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 784).astype(np.float32) / 255.0
    n = 6000 if quick else 60000
    return planted_dense(n, 784, decay=1.0, seed=0)


def planted_dense(n, m, *, decay=0.5, seed=0):
    """Dense float32 matrix with singular values ~ j^-decay (a realistic decaying spectrum)."""
    rng = np.random.default_rng(seed)
    scale = (1.0 / np.arange(1, m + 1) ** decay).astype(np.float32)
    Q = np.linalg.qr(rng.standard_normal((m, m)))[0].astype(np.float32)
    X = rng.standard_normal((n, m), dtype=np.float32)
    X *= scale
    return X @ Q


def context_like(n=80000, m=170000, nnz=10_000_000, seed=0):
    """Sparse counts-like matrix with Zipfian rows and columns (log1p of counts), float32."""
    rng = np.random.default_rng(seed)
    pr = 1.0 / np.arange(1, n + 1) ** 0.7
    pc = 1.0 / np.arange(1, m + 1) ** 0.7
    draw = int(nnz * 1.04)
    rows = rng.choice(n, draw, p=pr / pr.sum())
    cols = rng.choice(m, draw, p=pc / pc.sum())
    X = sp.csr_matrix((np.ones(draw, np.float32), (rows, cols)), shape=(n, m))
    X.sum_duplicates()
    X.data = np.log1p(X.data).astype(np.float32)
    return X


def exact_singular_values(X, k):
    """Top-k singular values in float64 (dense: Gram eigenvalues of the small side)."""
    X64 = X.astype(np.float64)
    G = X64.T @ X64 if X.shape[0] >= X.shape[1] else X64 @ X64.T
    evals = np.linalg.eigvalsh(G)[::-1][:k]
    return np.sqrt(np.clip(evals, 0, None))


def max_rel_error(s, s_ref):
    s = np.asarray(s, dtype=np.float64)
    return float(np.max(np.abs(s - s_ref) / s_ref))
