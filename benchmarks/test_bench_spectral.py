"""Spectral transforms against plain NumPy/SciPy implementations."""

from __future__ import annotations

import numpy as np
import scipy.fft
import scipy.sparse as sp

import veob
from veob.spectral._basis import basis_table

from ._data import mnist_pixels
from .conftest import record_ratio, time_peer


def _ragged(n, d, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 33, n)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    values = rng.standard_normal((offsets[-1], d), dtype=np.float32)
    return values, offsets


def _ragged_inputs(n, d, **kwargs):
    """Setup in the child: the ragged sequences (regenerated from the seed, not pickled)."""
    return (_ragged(n, d),), kwargs


def _digest(result):
    """Summary in the child: a SHA-1 of the output (the array itself stays there)."""
    import hashlib

    return hashlib.sha1(np.ascontiguousarray(result).tobytes()).hexdigest()


def _padded_einsum(values, offsets, n_points, n_freqs):
    """Peer: pad to the longest sequence, one einsum with the basis table."""
    lengths = np.diff(offsets)
    L, d = lengths.max(), values.shape[1]
    padded = np.zeros((len(lengths), L, d), dtype=values.dtype)
    mask = np.arange(L)[None, :] < lengths[:, None]
    padded[mask] = values
    table = basis_table("paper", n_points, n_freqs, L, dtype=values.dtype)
    return np.einsum("ml,nld->nmd", table, padded, optimize=True).reshape(len(lengths), -1)


def test_spectral_transform_sentences(run, benchmark, quick):
    """528,000 ragged sequences (1..32) of 50-d vectors, N = 32, M = 6."""
    n = 20000 if quick else 528000
    values, offsets = _ragged(n, 50)
    digest = run(veob.spectral_transform, n, 50, n_points=32, n_freqs=6, setup=_ragged_inputs, summary=_digest,
                 rounds=3)
    out = veob.spectral_transform((values, offsets), n_points=32, n_freqs=6)
    assert _digest(out) == digest  # the child computed the same output
    peer, ref = time_peer(_padded_einsum, values, offsets, 32, 6, rounds=1)
    assert np.allclose(out, ref, atol=1e-3)
    benchmark.extra_info["n_sequences"] = n
    record_ratio(benchmark, "numpy einsum over padded sequences", peer)


def _coo_spectra(words, n_points, n_freqs):
    """Peer: COO triplets of every (word, freq, letter) and scipy's sum_duplicates."""
    codes = [np.frombuffer(w.encode("ascii"), np.uint8).astype(np.int64) for w in words]
    lengths = np.array([len(c) for c in codes])
    letters = np.concatenate(codes)
    rows = np.repeat(np.arange(len(words)), lengths)
    pos = np.concatenate([np.arange(n) for n in lengths])
    table = basis_table("paper", n_points, n_freqs, lengths.max())
    r = np.tile(rows, n_freqs)
    c = (np.arange(n_freqs)[:, None] * 128 + letters[None, :]).ravel()
    v = table[:, pos].ravel()
    S = sp.csr_matrix((v, (r, c)), shape=(len(words), n_freqs * 128))
    S.sum_duplicates()
    return S


def _random_words(n):
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 15, n)
    return ["".join(chr(97 + c) for c in rng.integers(0, 26, L)) for L in lengths]


def test_symbol_spectra_words(run, benchmark, quick):
    """~84k word spellings -> sparse (n, 6 * 128) spectra."""
    n = 8000 if quick else 84000
    words = _random_words(n)
    S = run(veob.symbol_spectra, words, 128, rounds=5)
    peer, ref = time_peer(_coo_spectra, words, 15, 6, rounds=3)
    assert abs(S - ref).max() < 1e-5
    benchmark.extra_info["n_words"] = n
    record_ratio(benchmark, "scipy COO + sum_duplicates", peer)


def test_dct2_low_pass_block(run, benchmark, quick):
    """60,000 28 x 28 images, 12 x 12 low-pass block vs scipy.fft.dctn of the full images."""
    X = mnist_pixels(quick).reshape(-1, 28, 28)
    out = run(veob.dct2, X, keep=(12, 12), rounds=5)  # 60,000 x 12 x 12 float32 (35 MB) comes back

    def full_then_slice(images):
        return scipy.fft.dctn(images, type=2, norm="ortho", axes=(1, 2))[:, :12, :12]

    peer, ref = time_peer(full_then_slice, X, rounds=3)
    assert np.allclose(out, ref, atol=1e-4)
    benchmark.extra_info["n_images"] = len(X)
    record_ratio(benchmark, "scipy.fft.dctn (full) then slice", peer)
