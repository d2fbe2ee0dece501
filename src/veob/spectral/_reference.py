"""Slow, obviously correct NumPy twins of the numba kernels (for tests)."""

import numpy as np
import scipy.sparse as sp

from ._basis import basis_table


def spectral_transform_reference(sequences, n_points, n_freqs, kind):
    """Direct double loop over sequences and positions of the formula."""
    d = sequences[0].shape[1]
    out = np.zeros((len(sequences), n_freqs * d))
    for i, seq in enumerate(sequences):
        table = basis_table(kind, n_points, n_freqs, max(len(seq), 1))
        for m in range(n_freqs):
            for k in range(len(seq)):
                out[i, m * d:(m + 1) * d] += table[m, k] * seq[k]
    return out


def symbol_spectra_reference(sequences, n_symbols, n_points, n_freqs, kind):
    """Spectra of explicitly densified one-hot sequences."""
    onehots = []
    for seq in sequences:
        seq = np.asarray(seq, dtype=np.int64)
        onehot = np.zeros((len(seq), n_symbols))
        onehot[np.arange(len(seq)), seq] = 1.0
        onehots.append(onehot)
    return sp.csr_matrix(spectral_transform_reference(onehots, n_points, n_freqs, kind))


def length_normalized_dct_reference(sequences, n_freqs, kind):
    """Per-sequence transform with N = len(sequence), divided by the length."""
    d = sequences[0].shape[1]
    out = np.zeros((len(sequences), n_freqs * d))
    for i, seq in enumerate(sequences):
        L = len(seq)
        for m in range(n_freqs):
            for k in range(L):
                if kind == "paper":
                    c = np.cos(np.pi * (L - 1 - m) * k / (L - 1))
                else:
                    c = 1.0 if m == 0 else np.sqrt(2.0) * np.cos(np.pi * m * (2 * k + 1) / (2 * L))
                out[i, m * d:(m + 1) * d] += c * seq[k] / L
    return out
