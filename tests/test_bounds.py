"""No numba kernel reads or writes out of bounds, on edge-case inputs.

The kernels run in a subprocess with NUMBA_BOUNDSCHECK=1 (every array
access checked, an IndexError on violation) and a private cache folder.
"""

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import numpy as np, scipy.sparse as sp
    from veob import spectral_transform, symbol_spectra, svd
    rng = np.random.default_rng(0)
    # ragged with empty, length-1 and long (> n_points) sequences, d = 1
    seqs = [np.zeros((0, 1)), np.ones((1, 1)), rng.standard_normal((40, 1))]
    for kind in ("paper", "dct2"):
        spectral_transform(seqs, n_points=3, n_freqs=3, kind=kind)
        spectral_transform([s.astype(np.float32) for s in seqs], n_points=2, n_freqs=1, kind=kind)
        symbol_spectra([[], [0], [4, 4, 4, 0], list(range(5)) * 9], 5, n_points=3, n_freqs=2, kind=kind)
        symbol_spectra([[0]], 1, n_points=2, n_freqs=1, kind=kind)
    # csr kernel: empty rows, one column, one row
    for A in (sp.csr_matrix((3, 1)), sp.csr_matrix(np.ones((1, 4))),
              sp.random(50, 30, density=0.05, format="csr", random_state=0)):
        if min(A.shape) >= 1 and A.nnz:
            svd(A, 1, solver="randomized", random_state=0)
    print("ok")
    """
)


def test_kernels_in_bounds(tmp_path):
    env = dict(os.environ, NUMBA_BOUNDSCHECK="1", NUMBA_CACHE_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith("ok")
