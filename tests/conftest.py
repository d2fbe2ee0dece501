"""Shared fixtures: real data from $VEOB_DATA (skipped when unset)."""

import os
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(scope="session")
def data_root():
    """The shared data folder, or skip with the reason."""
    root = os.environ.get("VEOB_DATA")
    if not root:
        pytest.skip("VEOB_DATA is not set: real-data tests need the shared data folder")
    path = Path(root)
    if not path.is_dir():
        pytest.skip(f"VEOB_DATA={root!r} is not a folder")
    return path


def _read_idx_images(path):
    import gzip

    with gzip.open(path) as fh:
        raw = fh.read()
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(-1, 28, 28)


@pytest.fixture(scope="session")
def mnist_train_pixels(data_root):
    """MNIST training images as (60000, 784) float32 in [0, 1]."""
    path = data_root / "mnist" / "train-images-idx3-ubyte.gz"
    if not path.exists():
        pytest.skip(f"{path} is missing")
    return (_read_idx_images(path).reshape(-1, 784).astype(np.float32) / 255.0)

