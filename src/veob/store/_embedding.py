"""VeobEmbeddingFunction: a saved TextEncoder as a Chroma embedding function.

The class subclasses chromadb's ``EmbeddingFunction``, so it is built on
first use (``from veob.store import VeobEmbeddingFunction`` imports
chromadb then); building it registers it with Chroma under the name
``"veob"``, which lets a persisted collection find its encoder again from
the config Chroma saved (the model folder and its fingerprint).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    import numpy as np

__all__ = ["embedding_function_class"]

NAME = "veob"
_LOCK = threading.Lock()
_CLASS = None
_CACHE: dict = {}  # (resolved folder, fingerprint) -> TextEncoder, shared by the functions of one process


def _load_encoder(folder, fingerprint=None):
    from ..text import TextEncoder

    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ValueError(f"the TextEncoder folder {str(folder)!r} of this embedding function "
                         + ("is a file" if folder.exists() else "does not exist")
                         + ": restore the model folder (or re-create the collection with the new one)")
    key = (str(folder.resolve()), fingerprint)
    with _LOCK:
        enc = _CACHE.get(key)
    if enc is None:
        enc = TextEncoder.load(folder)
        if fingerprint is not None and enc.fingerprint() != fingerprint:
            raise ValueError(
                f"the TextEncoder in {str(folder)!r} changed since the collection was made (fingerprint "
                f"{enc.fingerprint()[:12]}..., the collection expects {fingerprint[:12]}...): its vectors would "
                "not match the stored ones; restore that model or re-index the collection with the new one"
            )
        with _LOCK:
            _CACHE[key] = enc
    return enc


def embedding_function_class() -> type:
    """The ``VeobEmbeddingFunction`` class (defined and registered with Chroma on the first call)."""
    global _CLASS
    if _CLASS is not None:
        return _CLASS
    try:
        from chromadb.api.types import EmbeddingFunction
        from chromadb.utils.embedding_functions import register_embedding_function
    except ImportError:
        raise ImportError("VeobEmbeddingFunction needs chromadb: pip install 'veob[chroma]'") from None

    class VeobEmbeddingFunction(EmbeddingFunction):
        r"""A veob :class:`~veob.text.TextEncoder` as a Chroma embedding function (offline, no download).

        Parameters
        ----------
        encoder_or_folder : TextEncoder or str or path-like
            A model folder written by :meth:`TextEncoder.save` (what a
            persisted collection remembers), or a fitted encoder (in-memory
            collections only: its config has no folder to reopen).
        normalize : bool, default=True
            Unit-length embeddings (cosine and inner product then agree).

        Notes
        -----
        Chroma's protocol: ``__call__(input)`` embeds documents,
        ``name()`` is ``"veob"``, ``get_config()`` is ``{"folder",
        "fingerprint", "normalize"}`` and ``build_from_config(config)``
        reloads the encoder from the folder and refuses it when its
        fingerprint changed (a different model would embed queries
        differently from the stored documents). The class is registered
        with ``@register_embedding_function`` when it is first imported
        (``from veob.store import VeobEmbeddingFunction``), which a new
        process must do before ``client.get_collection(name)`` embeds text.
        The default space is cosine. Texts with no known word embed as the
        zero vector.

        Examples
        --------
        >>> import tempfile
        >>> import chromadb
        >>> from chromadb.config import Settings
        >>> from veob.store import VeobEmbeddingFunction
        >>> from veob.text import TextEncoder
        >>> texts = ["the cat sat on the mat.", "a dog sat on a rug.", "the car stopped."] * 20
        >>> folder = TextEncoder(word_dim=3, progress=False, random_state=0).fit(texts).save(
        ...     tempfile.mkdtemp() + "/model")
        >>> client = chromadb.EphemeralClient(settings=Settings(anonymized_telemetry=False))
        >>> col = client.create_collection("docs", embedding_function=VeobEmbeddingFunction(folder))
        >>> col.add(ids=["a", "b"], documents=["the cat sat", "the car stopped"])
        >>> col.query(query_texts=["a cat"], n_results=1)["ids"]
        [['a']]
        >>> client.delete_collection("docs")
        """

        def __init__(self, encoder_or_folder: Any, *, normalize: bool = True) -> None:
            from ..text import TextEncoder

            if isinstance(normalize, bool) is False:
                raise TypeError(f"normalize={normalize!r} must be True or False")
            self.normalize = normalize
            if isinstance(encoder_or_folder, TextEncoder):
                self.encoder = encoder_or_folder
                self.folder = None
                self.fingerprint = encoder_or_folder.fingerprint()
            elif isinstance(encoder_or_folder, (str, os.PathLike)):
                self.folder = str(Path(encoder_or_folder).expanduser().resolve())
                self.encoder = _load_encoder(self.folder)
                self.fingerprint = self.encoder.fingerprint()
            else:
                raise TypeError("encoder_or_folder must be a fitted TextEncoder or the folder of a saved one; "
                                f"got {type(encoder_or_folder).__name__}")

        def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
            if isinstance(input, str):
                input = [input]
            vectors = self.encoder.encode(list(input), normalize_embeddings=self.normalize,
                                          show_progress_bar=False)
            return list(vectors)

        @staticmethod
        def name():
            return NAME

        def default_space(self):
            return "cosine"

        def supported_spaces(self):
            return ["cosine", "l2", "ip"]

        def get_config(self):
            return {"folder": self.folder, "fingerprint": self.fingerprint, "normalize": self.normalize}

        @staticmethod
        def build_from_config(config):
            folder = config.get("folder") if isinstance(config, dict) else None
            if not folder:
                raise ValueError("this collection's veob embedding function was made from an in-memory "
                                 "TextEncoder (no folder): pass embedding_function=VeobEmbeddingFunction(folder)")
            fn = VeobEmbeddingFunction.__new__(VeobEmbeddingFunction)
            fn.folder = folder
            fn.normalize = bool(config.get("normalize", True))
            fn.fingerprint = config.get("fingerprint")
            fn.encoder = _load_encoder(folder, fn.fingerprint)
            return fn

        @staticmethod
        def validate_config(config):
            if not isinstance(config, dict) or "fingerprint" not in config:
                raise ValueError(f"not a veob embedding function config: {config!r}")

        def validate_config_update(self, old_config, new_config):
            if new_config.get("fingerprint") not in (None, old_config.get("fingerprint")):
                raise ValueError("a collection's TextEncoder cannot be swapped for another model: re-index it")

        def __repr__(self):
            where = self.folder if self.folder else "in memory"
            return f"VeobEmbeddingFunction({where!r}, fingerprint={self.fingerprint[:12]}...)"

    VeobEmbeddingFunction.__module__ = "veob.store"
    VeobEmbeddingFunction.__qualname__ = "VeobEmbeddingFunction"
    register_embedding_function(VeobEmbeddingFunction)
    _CLASS = VeobEmbeddingFunction
    return _CLASS
