"""
Spectral transforms (:mod:`veob.spectral`)
==========================================

Turn variable-length sequences of vectors, symbol strings and images into
fixed-size vectors with cosine bases (paper section 4).

.. autosummary::

   cosine_basis        -- the paper's basis or the orthonormal DCT-II rows
   spectral_transform  -- ragged vector sequences -> (n, n_freqs * d)
   symbol_spectra      -- integer symbol sequences -> sparse CSR spectra
   dct2                -- separable 2-D DCT-II, full or low-pass block only
   DCT2Transformer     -- dct2 as a scikit-learn transformer on flat rows
   TrajectoryTransformer -- pen trajectories of any length -> fixed spectral vectors
"""

from ._basis import cosine_basis
from ._dct import DCT2Transformer, dct2
from ._trajectory import TrajectoryTransformer
from ._transform import spectral_transform, symbol_spectra

__all__ = [
    "DCT2Transformer",
    "TrajectoryTransformer",
    "cosine_basis",
    "dct2",
    "spectral_transform",
    "symbol_spectra",
]
