"""
Voronoi partition and cell search (:mod:`veob.partition`)
=========================================================

Recursive principal-axis bisection of vectors into Voronoi cells (paper
section 5) and nearest-neighbour search over the cells, with numba kernels.

.. autosummary::

   VoronoiPartition -- recursive bisection into cells: fit / predict / labels_,
                       cell_members, cell_neighbors
   CellIndex        -- k-nearest and radius neighbours over the cells:
                       n_probe nearest cells, or exact search with pruning
"""

from ._index import CellIndex
from ._partition import VoronoiPartition

__all__ = ["CellIndex", "VoronoiPartition"]
