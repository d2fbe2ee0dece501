"""Parsing of ragged sequence inputs into ``(values, offsets)``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._validation import float_dtype_for

if TYPE_CHECKING:
    from typing import Any

    from numpy.typing import ArrayLike

__all__ = ["as_ragged_vectors", "as_ragged_symbols", "check_offsets"]


def check_offsets(offsets: ArrayLike, n_values: int, name: str = "offsets") -> np.ndarray:
    """Validate CSR-style offsets: 1-D integers, 0 first, n_values last, non-decreasing."""
    offsets = np.asarray(offsets)
    if offsets.ndim != 1 or offsets.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must be a 1-D integer array; got dtype {offsets.dtype} and shape {offsets.shape}"
        )
    if offsets.shape[0] < 2:
        raise ValueError(f"{name} has {offsets.shape[0]} entries; at least 2 (one sequence) are required")
    if offsets[0] != 0:
        raise ValueError(f"{name}[0]={offsets[0]} must be 0")
    if offsets[-1] != n_values:
        raise ValueError(f"{name}[-1]={offsets[-1]} must equal the number of values, {n_values}")
    steps = np.diff(offsets)
    if (steps < 0).any():
        bad = int(np.flatnonzero(steps < 0)[0])
        raise ValueError(
            f"{name} must be non-decreasing; {name}[{bad}]={offsets[bad]} > {name}[{bad + 1}]={offsets[bad + 1]}"
        )
    return np.ascontiguousarray(offsets, dtype=np.int64)


def _is_values_offsets(obj):
    if not isinstance(obj, tuple) or len(obj) != 2:
        return False
    second = obj[1]
    return isinstance(second, np.ndarray) and second.ndim == 1 and second.dtype.kind in "iu"


def _numeric(arr, name):
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} has dtype {arr.dtype}; expected numbers")
    return arr


def as_ragged_vectors(sequences: Any, name: str = "sequences") -> tuple[np.ndarray, np.ndarray]:
    """Return ``(values, offsets)`` for ragged vector sequences.

    Accepts a list of ``(len_i, d)`` arrays, a ``(values, offsets)`` tuple or
    an ``(n, L, d)`` array of equal-length sequences.
    """
    if _is_values_offsets(sequences):
        values = _numeric(np.asarray(sequences[0]), f"{name}[0] (values)")
        if values.ndim != 2:
            raise ValueError(f"values of {name} must be 2-D (total_length, d); got shape {values.shape}")
        offsets = check_offsets(sequences[1], values.shape[0], name="offsets")
    elif isinstance(sequences, np.ndarray) and sequences.ndim == 3:
        values3 = _numeric(sequences, name)
        n, length, d = values3.shape
        if n == 0:
            raise ValueError(f"{name} is empty; at least one sequence is required")
        values = values3.reshape(n * length, d)
        offsets = np.arange(n + 1, dtype=np.int64) * length
    else:
        if isinstance(sequences, np.ndarray) and sequences.ndim != 1:
            raise ValueError(
                f"{name} as one array must be 3-D (n_sequences, length, d); got shape {sequences.shape}"
            )
        try:
            items = list(sequences)
        except TypeError:
            raise TypeError(f"{name} must be a list of (length, d) arrays or a (values, offsets) tuple") from None
        if not items:
            raise ValueError(f"{name} is empty; at least one sequence is required")
        arrays = []
        d = None
        for i, item in enumerate(items):
            arr = np.asarray(item)
            if arr.ndim != 2:
                raise ValueError(f"{name}[{i}] has shape {arr.shape}; expected a 2-D (length, d) array")
            _numeric(arr, f"{name}[{i}]")
            if d is None:
                d = arr.shape[1]
            elif arr.shape[1] != d and arr.shape[0] > 0:
                raise ValueError(
                    f"{name}[{i}] has dimension {arr.shape[1]}, but {name}[0] has {d}; "
                    "all sequences must have the same vector dimension"
                )
            arrays.append(arr.reshape(-1, d) if arr.shape[0] == 0 else arr)
        lengths = np.array([a.shape[0] for a in arrays], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        dtype = np.result_type(*[a.dtype for a in arrays])
        values = np.concatenate(arrays, axis=0).astype(dtype, copy=False) if len(arrays) > 1 else arrays[0]
    if values.shape[1] == 0:
        raise ValueError(f"{name} has vectors of dimension 0; at least 1 is required")
    dtype = float_dtype_for(values.dtype)
    values = np.ascontiguousarray(values, dtype=dtype)
    if not np.isfinite(values).all():
        row = int(np.argwhere(~np.isfinite(values))[0, 0])
        seq = int(np.searchsorted(offsets, row, side="right") - 1)
        raise ValueError(f"{name}[{seq}] contains NaN or infinity; remove or impute them")
    return values, offsets


def as_ragged_symbols(sequences: Any, n_symbols: int, name: str = "sequences") -> tuple[np.ndarray, np.ndarray]:
    """Return ``(symbols, offsets)`` for ragged integer symbol sequences.

    Accepts a list of 1-D integer arrays or strings (code points), a
    ``(symbols, offsets)`` tuple or a 2-D ``(n, L)`` integer array.
    """
    if _is_values_offsets(sequences):
        symbols = np.asarray(sequences[0])
        if symbols.ndim != 1:
            raise ValueError(f"symbols of {name} must be 1-D; got shape {symbols.shape}")
        offsets = check_offsets(sequences[1], symbols.shape[0], name="offsets")
    elif isinstance(sequences, np.ndarray) and sequences.ndim == 2:
        n, length = sequences.shape
        if n == 0:
            raise ValueError(f"{name} is empty; at least one sequence is required")
        symbols = sequences.reshape(-1)
        offsets = np.arange(n + 1, dtype=np.int64) * length
    else:
        if isinstance(sequences, (str, bytes)):
            raise TypeError(f"{name} must be a list of sequences; got a single string (wrap it in a list)")
        try:
            items = list(sequences)
        except TypeError:
            raise TypeError(f"{name} must be a list of integer sequences or strings") from None
        if not items:
            raise ValueError(f"{name} is empty; at least one sequence is required")
        arrays = []
        for i, item in enumerate(items):
            if isinstance(item, str):
                arr = np.frombuffer(item.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
            else:
                arr = np.asarray(item)
                if arr.ndim != 1:
                    raise ValueError(f"{name}[{i}] has shape {arr.shape}; expected a 1-D sequence of symbol ids")
                if arr.size and arr.dtype.kind not in "iu":
                    if arr.dtype.kind == "f" and np.all(arr == np.round(arr)) and np.isfinite(arr).all():
                        arr = arr.astype(np.int64)
                    else:
                        raise TypeError(f"{name}[{i}] has dtype {arr.dtype}; symbol ids must be integers")
            arrays.append(arr.astype(np.int64, copy=False))
        lengths = np.array([a.shape[0] for a in arrays], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        symbols = np.concatenate(arrays) if arrays else np.zeros(0, np.int64)
    if symbols.size and symbols.dtype.kind not in "iu":
        raise TypeError(f"symbol ids of {name} have dtype {symbols.dtype}; expected integers")
    symbols = np.ascontiguousarray(symbols, dtype=np.int64)
    if symbols.size:
        low, high = symbols.min(), symbols.max()
        if low < 0 or high >= n_symbols:
            bad = int(np.flatnonzero((symbols < 0) | (symbols >= n_symbols))[0])
            seq = int(np.searchsorted(offsets, bad, side="right") - 1)
            raise ValueError(
                f"{name}[{seq}] contains symbol id {symbols[bad]}; ids must lie in [0, n_symbols={n_symbols})"
            )
    return symbols, offsets
