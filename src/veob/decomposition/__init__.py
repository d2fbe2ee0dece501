"""
Decompositions (:mod:`veob.decomposition`)
==========================================

Truncated SVD with several solvers, the VEOB embedder and its incremental
(Brand 2006) version.

.. autosummary::

   svd                   -- truncated SVD, solvers exact/gram/randomized/arpack/fbpca
   svd_error             -- power-method certificate of ||X - U S Vt||_2
   svd_flip              -- the deterministic sign convention
   SVDEmbedder           -- VEOB embedding as a scikit-learn transformer
   IncrementalSVD        -- rank-k updates over row batches
   plot_singular_values  -- the singular-value curve (matplotlib)
   register_solver       -- add a solver (e.g. "dask") to the registry
   available_solvers     -- names accepted by ``solver=``
"""

from ._embedder import SVDEmbedder
from ._incremental import IncrementalSVD
from ._plot import plot_singular_values
from ._solvers import available_solvers, register_solver
from ._svd import svd, svd_error, svd_flip

__all__ = [
    "IncrementalSVD",
    "SVDEmbedder",
    "available_solvers",
    "plot_singular_values",
    "register_solver",
    "svd",
    "svd_error",
    "svd_flip",
]
