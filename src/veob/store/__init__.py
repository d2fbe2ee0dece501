"""
Vector stores (:mod:`veob.store`)
=================================

An embedded Chroma store that works offline: vectors are always computed by
veob and passed explicitly, ingest is batched and idempotent (re-running a
killed ingest leaves one copy of every vector). Needs ``pip install
'veob[chroma]'``; chromadb is imported when a store is created (or when
``VeobEmbeddingFunction`` is first imported).

.. autosummary::

   ChromaStore            -- persistent (folder) or in-memory Chroma client
   VeobEmbeddingFunction  -- a saved veob TextEncoder as a Chroma embedding function
   Hit                    -- (id, document, distance, metadata) of a query result
   Record                 -- (id, document, metadata, embedding) of a stored vector
   CollectionInfo         -- (name, count, dimension, distance) of a collection
"""

from ._chroma import ChromaStore, CollectionInfo, Hit, Record

__all__ = ["ChromaStore", "CollectionInfo", "Hit", "Record", "VeobEmbeddingFunction"]


def __getattr__(name):
    # built on first use: it subclasses chromadb's EmbeddingFunction (and registers itself with Chroma)
    if name == "VeobEmbeddingFunction":
        from ._embedding import embedding_function_class

        return embedding_function_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
