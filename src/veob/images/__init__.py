"""
Image embeddings (:mod:`veob.images`)
=====================================

Backprop-free image features from linear algebra: SVD-learned filter banks
on patches, binary hashing and block histograms (the PCANet recipe).

.. autosummary::

   PatchEmbedder -- VEOB on image patches: orthonormal SVD filter banks
                    (one or two stages), binary codes, block histograms
                    embedded by SVD; grey or colour images
"""

from ._patch import PatchEmbedder

__all__ = ["PatchEmbedder"]
