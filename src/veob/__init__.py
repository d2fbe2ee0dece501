"""
veob: backprop-free embeddings from linear algebra
===================================================

Spectral transforms (DCT) turn sequences and images into fixed vectors,
SVD puts them on an orthonormal basis of reduced dimension (VEOB), and a
recursive Voronoi partition clusters and searches them.

Spectral transforms (:mod:`veob.spectral`)
    cosine_basis, spectral_transform, symbol_spectra, dct2, DCT2Transformer
Decompositions (:mod:`veob.decomposition`)
    svd, svd_error, svd_flip, SVDEmbedder, IncrementalSVD, plot_singular_values
Partitions and search (:mod:`veob.partition`)
    VoronoiPartition, CellIndex
Saving models
    save, load (one file: arrays + JSON parameters, never pickle)

Subpackages imported on demand: :mod:`veob.datasets` (loaders),
:mod:`veob.text` (corpus preparation, word and sentence embedders),
:mod:`veob.store` (Chroma), :mod:`veob.plotting` (report figures).
:mod:`veob.experiments` holds the protocols behind the paper's tables
and the seeds' experiments (run by the ``veob`` command; not stable API).

``import veob`` imports no optional dependency (spacy, chromadb, dask,
fbpca, pillow, matplotlib); features that need one import it on first use.
"""

from ._io import load, save
from ._version import __version__
from .decomposition import (
    IncrementalSVD,
    SVDEmbedder,
    plot_singular_values,
    svd,
    svd_error,
    svd_flip,
)
from .partition import CellIndex, VoronoiPartition
from .spectral import DCT2Transformer, cosine_basis, dct2, spectral_transform, symbol_spectra

__all__ = [
    "CellIndex",
    "DCT2Transformer",
    "IncrementalSVD",
    "SVDEmbedder",
    "VoronoiPartition",
    "__version__",
    "cosine_basis",
    "dct2",
    "load",
    "plot_singular_values",
    "save",
    "spectral_transform",
    "svd",
    "svd_error",
    "svd_flip",
    "symbol_spectra",
]
