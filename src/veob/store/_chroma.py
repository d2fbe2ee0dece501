"""ChromaStore: an embedded, offline Chroma vector store with idempotent ingest."""

from __future__ import annotations

import ipaddress
import json
import math
import numbers
import os
import re
import time
import uuid
import weakref
from collections import namedtuple
from contextlib import contextmanager
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .._validation import check_int, check_matrix

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

    from .._typing import ArrayLike, PathLike

__all__ = ["ChromaStore", "CollectionInfo", "Hit", "Record"]

Hit = namedtuple("Hit", ["id", "document", "distance", "metadata"])
Hit.__doc__ = """One search result of :meth:`ChromaStore.query`.

Fields: ``id`` (str), ``document`` (str or None), ``distance`` (float, see
:class:`ChromaStore` for its definition per metric), ``metadata`` (dict or None).
"""

Record = namedtuple("Record", ["id", "document", "metadata", "embedding"])
Record.__doc__ = """One stored vector, as returned by :meth:`ChromaStore.get`.

Fields: ``id`` (str), ``document`` (str or None), ``metadata`` (dict or None),
``embedding`` (ndarray of shape (dimension,) or None).
"""

CollectionInfo = namedtuple("CollectionInfo", ["name", "count", "dimension", "distance"])
CollectionInfo.__doc__ = """Summary of a collection, as returned by :meth:`ChromaStore.describe`.

Fields: ``name``, ``count`` (vectors stored), ``dimension`` (None while the
collection is empty) and ``distance`` (``"l2"``, ``"cosine"`` or ``"ip"``).
"""

_DISTANCES = ("l2", "cosine", "ip")
_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$")
_NAME_RULE = (
    "3-512 characters from [a-zA-Z0-9._-], starting and ending with a letter or digit, "
    "no '..', not an IPv4 address"
)


def _chromadb():
    try:
        import chromadb
        from chromadb.config import Settings
    except ImportError:
        raise ImportError("ChromaStore needs chromadb: pip install 'veob[chroma]'") from None
    from ._embedding import embedding_function_class

    embedding_function_class()  # registered with Chroma, so collections made by add_texts can be reopened
    return chromadb, Settings


def check_collection_name(name):
    """Validate a Chroma collection name; returns it."""
    if not isinstance(name, str):
        raise TypeError(f"collection={name!r} must be a str")
    ok = 3 <= len(name) <= 512 and _NAME_RE.match(name) and ".." not in name
    if ok:
        try:
            ipaddress.IPv4Address(name)
            ok = False
        except ValueError:
            pass
    if not ok:
        shown = name if len(name) <= 60 else name[:57] + "..."
        raise ValueError(f"collection={shown!r} is not a valid collection name: use {_NAME_RULE}")
    return name


def _check_str_list(values, name, n):
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of {'' if n is None else f'{n} '}str, not a single string")
    try:
        values = list(values)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of str; got {type(values).__name__}") from None
    if n is not None and len(values) != n:
        raise ValueError(f"{name} has {len(values)} entries; embeddings has {n} rows")
    for i, v in enumerate(values):
        if isinstance(v, np.str_):
            values[i] = str(v)
        elif not isinstance(v, str):
            raise TypeError(f"{name}[{i}]={v!r} must be a str")
    return values


def _metadata_value(value, where):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (numbers.Integral,)):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"{where}={value!r} must be finite")
        return value
    if isinstance(value, str):
        return str(value)
    raise TypeError(f"{where}={value!r} must be a str, int, float or bool")


def _check_metadatas(metadatas, n):
    if isinstance(metadatas, dict):
        raise TypeError("metadatas must be a sequence of dicts (one per row), not a single dict")
    metadatas = list(metadatas)
    if len(metadatas) != n:
        raise ValueError(f"metadatas has {len(metadatas)} entries; embeddings has {n} rows")
    out = []
    for i, md in enumerate(metadatas):
        if md is None or (isinstance(md, dict) and not md):
            out.append(None)  # Chroma rejects empty dicts
            continue
        if not isinstance(md, dict):
            raise TypeError(f"metadatas[{i}] must be a dict or None; got {type(md).__name__}")
        clean = {}
        for key, value in md.items():
            if not isinstance(key, str):
                raise TypeError(f"metadatas[{i}] key {key!r} must be a str")
            clean[key] = _metadata_value(value, f"metadatas[{i}][{key!r}]")
        out.append(clean)
    return out


def _check_embeddings(embeddings, name):
    X = check_matrix(embeddings, name, accept_sparse=False)
    return np.ascontiguousarray(X, dtype=np.float32)


_LOCK_DIR = ".veob-locks"
_LOCK_POLL = 0.05  # seconds between attempts while another process holds a lock


@contextmanager
def _file_lock(path, timeout, what):
    """Hold an exclusive ``fcntl.flock`` on ``path`` for the block.

    Waits at most ``timeout`` seconds (None: forever; 0: fail at once) and then
    raises ``TimeoutError`` naming ``what`` and the lock file. The lock is
    released when the block ends, and by the kernel when the process dies, so
    a killed writer never leaves a stale lock behind. Platforms without
    ``fcntl`` (Windows), and read-only folders, run the block unlocked.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield None
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:  # a read-only store folder: nothing can write it, readers need no lock
        yield None
        return
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(
                        f"{what} is locked by another process (lock file {str(path)!r}) and stayed "
                        f"locked for lock_timeout={timeout} s: wait for the other writer to finish, or "
                        "open the store with a larger ChromaStore(path, lock_timeout=...)"
                    ) from None
                time.sleep(_LOCK_POLL)
        try:
            yield fd
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def _null_lock():
    yield None


# The write generation of each (store folder, collection) this process has seen: a writer
# stores a fresh token in the collection's lock file when it is done. Chroma keeps each
# collection's HNSW index in memory per process and does not notice another process's
# writes, so a process that finds a token it did not write reloads its Chroma bindings
# before it reads or writes (else its next write would persist an index without the
# other process's rows).
_SEEN_TOKENS: dict = {}


def _read_token(path):
    try:
        with open(path, "rb") as fh:
            return fh.read(64)
    except OSError:
        return b""


def _write_token(fd):
    token = uuid.uuid4().hex.encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, token, 0)
    return token


def _drop_database(admin, name):
    try:
        admin.delete_database(name)
    except Exception:  # pragma: no cover - interpreter shutdown
        pass


def _changed(col, X, ids, documents, metadatas, lo, hi):
    """Mask of rows lo:hi that are not stored yet with exactly this content.

    Rewriting an unchanged vector costs Chroma an HNSW delete + insert (a
    plain re-upsert of 20,000 vectors took 3-6x the first ingest); one
    ``get`` per batch is 20-50x cheaper than that, so a resumed or repeated
    ingest only writes what is missing or differs.
    """
    got = col.get(ids=ids[lo:hi], include=["embeddings", "documents", "metadatas"])
    if not got["ids"]:
        return np.ones(hi - lo, dtype=bool)
    stored = {rid: j for j, rid in enumerate(got["ids"])}
    embs, docs, metas = got["embeddings"], got["documents"], got["metadatas"]
    changed = np.ones(hi - lo, dtype=bool)
    for r in range(lo, hi):
        j = stored.get(ids[r])
        if j is None:
            continue
        if not np.array_equal(np.asarray(embs[j], dtype=np.float32), X[r]):
            continue
        # fields not passed keep their stored values (Chroma's upsert): compare only those given
        if documents is not None and documents[r] != (docs[j] if docs is not None else None):
            continue
        if metadatas is not None and metadatas[r] != (metas[j] if metas is not None else None):
            continue
        changed[r - lo] = False
    return changed


class ChromaStore:
    r"""An embedded Chroma vector store that never reaches the network.

    Parameters
    ----------
    path : str or path-like, optional
        Folder of a persistent store (created when missing). ``None`` keeps
        the store in memory; every in-memory store is private to its
        ``ChromaStore`` object (its own Chroma database, dropped when the
        object is garbage-collected).
    distance : {"l2", "cosine", "ip"}, default="l2"
        Metric of the collections this store creates (Chroma's
        ``hnsw:space``). A collection keeps the metric it was created with;
        writing to or searching a collection of another metric raises
        ``ValueError`` (:meth:`describe` tells a collection's metric).
    lock_timeout : float or None, default=600.0
        Seconds a writer waits for another process that holds the lock of
        the same collection (persistent stores only; see Notes) before
        raising ``TimeoutError``. ``None`` waits as long as it takes, ``0``
        fails at once.

    Attributes
    ----------
    path : pathlib.Path or None
        The store folder.
    distance : str
        The metric of this store.
    client : chromadb API client
        The underlying Chroma client, for anything not wrapped here.
    max_batch_size : int
        The most vectors the client takes in one call (5461 with chromadb
        1.5); the default batch size of :meth:`upsert`.

    See Also
    --------
    veob.partition.CellIndex : Nearest-neighbour search in memory, without a store.
    veob.save : Save the model that made the vectors.

    Notes
    -----
    **Offline by construction.** Telemetry is off, every collection is
    created and opened with ``embedding_function=None`` and every write or
    search passes the embeddings explicitly, so Chroma never computes an
    embedding itself (which would download a model).

    **Distances** returned by :meth:`query`, for a query :math:`q` and a
    stored vector :math:`x`:

    - ``"l2"``: the Euclidean distance :math:`\|q - x\|_2` (Chroma reports
      the *squared* distance; the square root is taken here, so the numbers
      match ``numpy.linalg.norm`` and scikit-learn's ``kneighbors``);
    - ``"cosine"``: :math:`1 - q^T x / (\|q\|\,\|x\|)`, in [0, 2];
    - ``"ip"``: :math:`1 - q^T x`.

    Chroma searches an HNSW graph, which is approximate: on large
    collections a true neighbour may occasionally be missed.

    **Several processes.** Chroma's local HNSW index is not safe for two
    processes writing the same collection at once (both exit without an
    error, and rows end up with one writer's vector and the other's
    metadata, or unreadable). A persistent store therefore takes an
    exclusive lock per collection -- a ``fcntl.flock`` on
    ``<path>/.veob-locks/<collection>.lock`` -- for the whole of
    :meth:`upsert` and :meth:`delete_collection`; a second writer waits for
    it (up to ``lock_timeout`` seconds). The writer re-opens the collection
    once it holds the lock, so it starts from what the previous writer left.
    Opening a new store folder is serialised by a lock on the folder too
    (two processes creating it at once otherwise race on Chroma's schema).
    The lock is advisory: it protects writes made through ``ChromaStore``,
    not through ``store.client`` directly.

    **Fields.** A store remembers (in ``<path>/.veob-locks/<collection>.fields.json``)
    whether documents or metadata were ever written to a collection it
    created; :meth:`query` then does not ask Chroma for fields that were
    never stored (about a fifth of a query's time). Collections veob did
    not create are always queried with every field; documents added to a
    veob collection through ``store.client`` directly are not seen by
    :meth:`query` (but by :meth:`get`).

    **Idempotent ingest.** Without ``ids``, row ``i`` of an :meth:`upsert`
    call gets the id ``str(start + i)`` -- its position in the ingested
    dataset. Re-running an ingest therefore replaces vectors instead of
    adding copies, also after an ingest was killed midway. Positional ids
    were chosen over content hashes because identical vectors (duplicate
    rows) stay distinct rows, and because an ingest re-run after changing
    the model overwrites the stale vectors rather than keeping both.

    Examples
    --------
    >>> import numpy as np
    >>> from veob.store import ChromaStore
    >>> store = ChromaStore()  # in memory; ChromaStore("folder") persists
    >>> X = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 0.0]])
    >>> store.upsert("points", X, documents=["origin", "far", "near"], progress=False)
    3
    >>> hits = store.query("points", [[0.0, 0.0]], n_results=2)[0]
    >>> [(h.document, h.distance) for h in hits]
    [('origin', 0.0), ('near', 1.0)]
    >>> store.upsert("points", X, progress=False)  # the same ids: nothing is duplicated
    3
    >>> store.count("points")
    3
    """

    # set in __init__ (declared for the type checker, which meets their uses before __init__'s body)
    path: Path | None
    distance: str
    client: Any
    max_batch_size: int
    _memory_fields: dict

    def __init__(self, path: PathLike | None = None, *, distance: str = "l2", lock_timeout: float = 600.0) -> None:
        if distance not in _DISTANCES:
            raise ValueError(f"distance={distance!r} must be one of {', '.join(map(repr, _DISTANCES))}")
        if lock_timeout is not None:
            if isinstance(lock_timeout, bool) or not isinstance(lock_timeout, numbers.Real) \
                    or not math.isfinite(lock_timeout) or lock_timeout < 0:
                raise ValueError(f"lock_timeout={lock_timeout!r} must be a number of seconds >= 0 or None")
            lock_timeout = float(lock_timeout)
        chromadb, Settings = _chromadb()
        self.distance = distance
        self.lock_timeout = lock_timeout
        self._memory_fields = {}
        if path is None:
            self.path = None
            settings = Settings(anonymized_telemetry=False, is_persistent=False)
            admin = chromadb.AdminClient(settings)
            self._database = f"veob-{uuid.uuid4().hex}"
            admin.create_database(self._database)
            self.client = chromadb.EphemeralClient(
                settings=Settings(anonymized_telemetry=False), database=self._database
            )
            weakref.finalize(self, _drop_database, admin, self._database)
        else:
            if not isinstance(path, (str, os.PathLike)):
                raise TypeError(f"path={path!r} must be a str, a path-like object or None")
            self.path = Path(path).expanduser().absolute()
            if self.path.exists() and not self.path.is_dir():
                raise ValueError(f"path={str(self.path)!r} is a file; a Chroma store is a folder")
            self._database = None
            try:
                self.path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ValueError(f"path={str(self.path)!r}: cannot create the store folder: {exc.strerror}") from None
            self._key = str(self.path.resolve())
            # two processes creating a new store at once race on Chroma's schema
            # ("table collections already exists"): create it under the folder's lock
            with _file_lock(self.path / _LOCK_DIR / "open.lock", self.lock_timeout, f"store {str(self.path)!r}"):
                for attempt in range(3):  # a process that is not veob's may still be creating the schema
                    try:
                        self.client = chromadb.PersistentClient(
                            path=str(self.path), settings=Settings(anonymized_telemetry=False)
                        )
                        break
                    except Exception as exc:
                        if attempt == 2 or not ("already exists" in str(exc) or "database is locked" in str(exc)):
                            raise
                        time.sleep(0.2)
        self.max_batch_size = int(self.client.get_max_batch_size())

    def __repr__(self):
        where = "memory" if self.path is None else repr(str(self.path))
        return f"ChromaStore({where}, distance={self.distance!r})"

    # -- collections -------------------------------------------------------
    def collections(self) -> list[str]:
        """Names of the collections in the store, sorted.

        Returns
        -------
        names : list of str

        Examples
        --------
        >>> from veob.store import ChromaStore
        >>> store = ChromaStore()
        >>> store.upsert("bbb", [[1.0]], progress=False), store.upsert("aaa", [[2.0]], progress=False)
        (1, 1)
        >>> store.collections()
        ['aaa', 'bbb']
        """
        return sorted(c if isinstance(c, str) else c.name for c in self.client.list_collections())

    def _existing(self, collection):
        check_collection_name(collection)
        self._sync(collection)
        try:
            return self.client.get_collection(collection, embedding_function=None)
        except Exception as exc:
            if type(exc).__name__ in ("NotFoundError", "InvalidCollectionException") or "does not exist" in str(exc):
                names = self.collections()
                known = ", ".join(names[:10]) + (" ..." if len(names) > 10 else "") if names else "none"
                where = "in memory" if self.path is None else f"in {str(self.path)!r}"
                raise ValueError(
                    f"collection={collection!r} does not exist {where} (collections: {known})"
                ) from None
            raise

    @staticmethod
    def _space(col):
        meta = col.metadata or {}
        space = meta.get("hnsw:space")
        if space is None:
            try:
                space = col.configuration["hnsw"]["space"]
            except (KeyError, TypeError):
                space = "l2"
        return space

    def _check_space(self, col, collection):
        space = self._space(col)
        if space != self.distance:
            raise ValueError(
                f"collection={collection!r} uses distance={space!r} but this store uses "
                f"distance={self.distance!r}: open it with ChromaStore(path, distance={space!r})"
            )

    @staticmethod
    def _dimension(col):
        got = col.get(limit=1, include=["embeddings"])
        emb = got.get("embeddings")
        if emb is None or len(emb) == 0:
            return None
        return int(len(emb[0]))

    def describe(self, collection: str) -> CollectionInfo:
        """Count, dimension and metric of a collection.

        Parameters
        ----------
        collection : str
            Collection name.

        Returns
        -------
        info : CollectionInfo
            ``(name, count, dimension, distance)``; ``dimension`` is None
            for an empty collection.

        Examples
        --------
        >>> from veob.store import ChromaStore
        >>> store = ChromaStore(distance="cosine")
        >>> store.upsert("vecs", [[1.0, 0.0, 0.0]], progress=False)
        1
        >>> store.describe("vecs")
        CollectionInfo(name='vecs', count=1, dimension=3, distance='cosine')
        """
        col = self._existing(collection)
        return CollectionInfo(collection, int(col.count()), self._dimension(col), self._space(col))

    def count(self, collection: str) -> int:
        """Number of vectors in a collection (ValueError if it does not exist).

        Examples
        --------
        >>> from veob.store import ChromaStore
        >>> store = ChromaStore()
        >>> store.upsert("vecs", [[1.0, 2.0], [3.0, 4.0]], progress=False)
        2
        >>> store.count("vecs")
        2
        """
        return int(self._existing(collection).count())

    def delete_collection(self, collection: str) -> None:
        """Delete a collection and its vectors (ValueError if it does not exist).

        Examples
        --------
        >>> from veob.store import ChromaStore
        >>> store = ChromaStore()
        >>> store.upsert("vecs", [[1.0]], progress=False)
        1
        >>> store.delete_collection("vecs")
        >>> store.collections()
        []
        """
        with self._lock(check_collection_name(collection)):
            self._existing(collection)
            self.client.delete_collection(collection)
            if self.path is None:
                self._memory_fields.pop(collection, None)
            else:
                self._fields_file(collection).unlink(missing_ok=True)

    # -- writing -----------------------------------------------------------
    def upsert(self, collection: str, embeddings: ArrayLike, *, ids: Sequence[str] | None = None,
               documents: Sequence[str] | None = None, metadatas: Sequence[Mapping[str, Any] | None] | None = None,
               batch_size: int | None = None, start: int = 0, progress: bool = True) -> int:
        """Insert or replace vectors, in batches; returns the number written.

        Parameters
        ----------
        collection : str
            Collection name (created with this store's ``distance`` when
            missing): 3-512 characters from ``[a-zA-Z0-9._-]``, starting
            and ending with a letter or digit.
        embeddings : array-like of shape (n_samples, dimension)
            The vectors; finite numbers, stored as float32. ``n_samples``
            and ``dimension`` must be >= 1, and ``dimension`` must match
            the vectors already in the collection.
        ids : sequence of str, optional
            Unique ids, one per row. Default: ``str(start + i)`` for row i,
            so that re-running the same ingest replaces instead of adding.
        documents : sequence of str, optional
            Text stored with each vector (e.g. the word or sentence).
            When omitted, a replaced vector keeps its stored document.
        metadatas : sequence of dict or None, optional
            Per-row metadata; values must be str, int, float or bool. When
            omitted, a replaced vector keeps its stored metadata.
        batch_size : int, optional
            Rows per Chroma call, 1 to ``max_batch_size`` (default: the
            client's maximum, 5461 with chromadb 1.5).
        start : int, default=0
            Row index of the first vector (default ids only), for ingests
            fed in several calls.
        progress : bool or callable, default=True
            ``True`` shows a tqdm bar (when tqdm is installed and there is
            more than one batch); a callable is called as
            ``progress(n_written, n_total)`` after each batch.

        Returns
        -------
        n_written : int
            ``n_samples``: every row is stored with the given content when
            the call returns. Rows already stored with exactly that content
            are checked (one ``get`` per batch) and not rewritten, which
            makes a repeated or resumed ingest cheap.

        Examples
        --------
        >>> import numpy as np
        >>> from veob.store import ChromaStore
        >>> store = ChromaStore()
        >>> X = np.random.default_rng(0).standard_normal((10, 4))
        >>> store.upsert("vecs", X, batch_size=4, progress=False)
        10
        >>> store.get("vecs", ids=["0"])[0].id
        '0'
        """
        name = check_collection_name(collection)
        X = _check_embeddings(embeddings, "embeddings")
        n, dim = X.shape
        start = check_int(start, "start", low=0)
        if ids is None:
            ids = [str(start + i) for i in range(n)]
        else:
            ids = _check_str_list(ids, "ids", n)
            if len(set(ids)) != n:
                seen, dup = set(), None
                for i in ids:
                    if i in seen:
                        dup = i
                        break
                    seen.add(i)
                raise ValueError(f"ids must be unique; {dup!r} appears more than once")
            empty = [i for i in ids if not i]
            if empty:
                raise ValueError("ids must be non-empty strings")
        if documents is not None:
            documents = _check_str_list(documents, "documents", n)
        if metadatas is not None:
            metadatas = _check_metadatas(metadatas, n)
            if all(m is None for m in metadatas):
                metadatas = None
        if batch_size is None:
            batch_size = self.max_batch_size
        batch_size = check_int(batch_size, "batch_size", low=1, high=self.max_batch_size,
                               high_name="the client's max batch size")
        if not (isinstance(progress, bool) or callable(progress)):
            raise TypeError(f"progress={progress!r} must be a bool or a callable(n_written, n_total)")
        with self._lock(name):
            col = self.client.get_or_create_collection(
                name, embedding_function=None, metadata={"hnsw:space": self.distance}
            )
            self._check_space(col, name)
            have = self._dimension(col)
            if have is not None and have != dim:
                raise ValueError(
                    f"embeddings have dimension {dim} but collection={name!r} holds vectors of "
                    f"dimension {have}; use another collection or delete this one first"
                )
            fields = self._fields(collection) if int(col.count()) else {"documents": False, "metadatas": False}
            # the flags only go up: a field once written may be stored for some rows
            self._set_fields(collection, {"documents": fields["documents"] or documents is not None,
                                          "metadatas": fields["metadatas"] or metadatas is not None})
            return self._upsert(col, X, ids, documents, metadatas, batch_size, progress)

    # -- text, through a TextEncoder ------------------------------------------
    def _text_function(self, collection, encoder, *, create):
        """(Chroma collection or None, VeobEmbeddingFunction) of a text collection.

        An existing collection's own encoder (its saved config) is used when
        ``encoder`` is None; a given encoder must be the one the collection
        was made with (same fingerprint).
        """
        from ._embedding import embedding_function_class

        cls = embedding_function_class()
        given = None
        if encoder is not None:
            given = encoder if isinstance(encoder, cls) else cls(encoder)
        try:
            col = self._existing(collection)
        except ValueError:
            if not create:
                raise
            col = None
        if col is None:
            if given is None:
                raise ValueError(f"collection={collection!r} does not exist yet: pass encoder= (a TextEncoder "
                                 "folder) to create it")
            return None, given
        self._check_space(col, collection)
        config = (col.configuration_json or {}).get("embedding_function") or {}
        if config.get("name") != "veob":
            if given is None:
                raise ValueError(f"collection={collection!r} has no veob TextEncoder (it holds vectors written "
                                 "by upsert); pass encoder= to embed texts, or use a new collection")
            return col, given
        stored = config.get("config") or {}
        if given is None:
            return col, cls.build_from_config(stored)
        if stored.get("fingerprint") != given.fingerprint:
            raise ValueError(f"collection={collection!r} was made with another TextEncoder (fingerprint "
                             f"{str(stored.get('fingerprint'))[:12]}..., this one {given.fingerprint[:12]}...): "
                             "use the model it was made with, or a new collection")
        return col, given

    def add_texts(self, collection: str, texts: Sequence[str], *, ids: Sequence[str] | None = None,
                  metadatas: Sequence[Mapping[str, Any] | None] | None = None, encoder: Any = None,
                  batch_size: int | None = None, start: int = 0, progress: bool = True) -> int:
        """Encode texts with a veob :class:`~veob.text.TextEncoder` and store them with their text.

        The collection is created with a :class:`VeobEmbeddingFunction`,
        so plain Chroma clients can query it with text too
        (``collection.query(query_texts=[...])``), in a new process as
        well. Re-running the same call (or resuming a killed one) rewrites
        nothing that is already stored, like :meth:`upsert`.

        Parameters
        ----------
        collection : str
            Collection name (created when missing).
        texts : sequence of str
            The documents (stored as the documents).
        ids, metadatas, batch_size, start, progress
            As in :meth:`upsert`.
        encoder : TextEncoder, VeobEmbeddingFunction, str or path-like, optional
            The model: a saved model folder (needed for a persistent
            store, so that the collection can find it again), or a fitted
            encoder for an in-memory store. Default: the collection's own.

        Returns
        -------
        n_written : int

        Examples
        --------
        >>> import tempfile
        >>> from veob.store import ChromaStore
        >>> from veob.text import TextEncoder
        >>> texts = ["the cat sat on the mat.", "a dog sat on a rug.", "the car stopped."] * 20
        >>> folder = TextEncoder(word_dim=3, progress=False, random_state=0).fit(texts).save(
        ...     tempfile.mkdtemp() + "/model")
        >>> store = ChromaStore(distance="cosine")
        >>> store.add_texts("docs", ["the cat sat", "the car stopped"], encoder=folder, progress=False)
        2
        >>> store.query_texts("docs", ["a cat"], n_results=1)[0][0].document
        'the cat sat'
        """
        texts = _check_str_list(texts, "texts", None)
        if not texts:
            raise ValueError("texts is empty; at least one text is required")
        name = check_collection_name(collection)
        col, fn = self._text_function(name, encoder, create=True)
        if self.path is not None and fn.folder is None:
            raise ValueError("a persistent store needs the encoder as a saved folder (TextEncoder.save(folder)) "
                             "so that the collection can find it again; pass encoder=folder")
        if col is None:
            with self._lock(name):
                self.client.get_or_create_collection(name, embedding_function=fn,
                                                     metadata={"hnsw:space": self.distance})
        vectors = np.asarray(fn(texts), dtype=np.float32)
        return self.upsert(name, vectors, ids=ids, documents=texts, metadatas=metadatas, batch_size=batch_size,
                           start=start, progress=progress)

    def query_texts(self, collection: str, texts: str | Sequence[str], n_results: int = 10,
                    where: Mapping[str, Any] | None = None, *, encoder: Any = None) -> list[list[Hit]]:
        """Nearest stored texts of each query text (embedded with the collection's TextEncoder).

        Parameters
        ----------
        collection : str
            A collection filled by :meth:`add_texts`.
        texts : str or sequence of str
            Query texts (a str is one query).
        n_results, where
            As in :meth:`query`.
        encoder : optional
            The collection's model, when it cannot be found from its config
            (an in-memory encoder); it must be the same model.

        Returns
        -------
        hits : list of list of Hit
        """
        if isinstance(texts, str):
            texts = [texts]
        texts = _check_str_list(texts, "texts", None)
        _, fn = self._text_function(check_collection_name(collection), encoder, create=False)
        return self.query(collection, np.asarray(fn(texts), dtype=np.float32), n_results=n_results, where=where)

    def _fields_file(self, collection):
        return self.path / _LOCK_DIR / f"{collection}.fields.json"

    def _fields(self, collection):
        """Whether documents / metadatas were ever written to ``collection`` through ChromaStore.

        Unknown (a collection veob did not create) counts as written, so the
        fields are always fetched for it.
        """
        unknown = {"documents": True, "metadatas": True}
        if self.path is None:
            return self._memory_fields.get(collection, unknown)
        try:
            with open(self._fields_file(collection), encoding="utf-8") as fh:
                found = json.load(fh)
            return {k: bool(found.get(k, True)) for k in unknown}
        except (OSError, ValueError, AttributeError):
            return unknown

    def _set_fields(self, collection, fields):
        if self.path is None:
            self._memory_fields[collection] = fields
            return
        file = self._fields_file(collection)
        tmp = file.with_name(f".{file.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(fields), encoding="utf-8")
            os.replace(tmp, file)
        finally:
            tmp.unlink(missing_ok=True)

    def _lock_file(self, collection):
        return self.path / _LOCK_DIR / f"{collection}.lock"

    @contextmanager
    def _lock(self, collection):
        """Hold the per-collection write lock of a persistent store (a no-op in memory).

        Reloads this process's Chroma bindings first when another process
        wrote the collection since this process last saw it, and marks the
        collection as written when the block ends.
        """
        if self.path is None:
            yield
            return
        file = self._lock_file(collection)
        with _file_lock(file, self.lock_timeout, f"collection={collection!r} in {str(self.path)!r}") as fd:
            key = (self._key, collection)
            if _SEEN_TOKENS.get(key, b"") != _read_token(file):
                self._reload()
            try:
                yield
            finally:
                if fd is not None:
                    _SEEN_TOKENS[key] = _write_token(fd)

    def _sync(self, collection):
        """Before a read: reload the bindings if another process wrote ``collection`` since."""
        if self.path is None:
            return
        file = self._lock_file(collection)
        key = (self._key, collection)
        token = _read_token(file)
        if _SEEN_TOKENS.get(key, b"") != token:
            self._reload()
            _SEEN_TOKENS[key] = token

    def _reload(self):
        """Restart the Chroma bindings of this store folder in this process (~15 ms)."""
        try:
            from chromadb.api import ServerAPI

            api = self.client._system.instance(ServerAPI)
            api.stop()
            api.start()
        except (ImportError, AttributeError, KeyError):  # pragma: no cover - another chromadb layout
            pass

    def _upsert(self, col, X, ids, documents, metadatas, batch_size, progress):
        n = X.shape[0]
        check_existing = int(col.count()) > 0
        bar = None
        if progress is True and n > batch_size:
            try:
                from tqdm.auto import tqdm

                bar = tqdm(total=n, desc=f"chroma {col.name}", unit="vec", leave=False)
            except ImportError:
                bar = None
        try:
            for lo in range(0, n, batch_size):
                hi = min(lo + batch_size, n)
                rows = np.arange(lo, hi)
                if check_existing:
                    rows = rows[_changed(col, X, ids, documents, metadatas, lo, hi)]
                if rows.size:
                    kwargs = {"ids": [ids[i] for i in rows], "embeddings": X[rows]}
                    if documents is not None:
                        kwargs["documents"] = [documents[i] for i in rows]
                    if metadatas is not None:
                        kwargs["metadatas"] = [metadatas[i] for i in rows]
                    col.upsert(**kwargs)
                if bar is not None:
                    bar.update(hi - lo)
                elif callable(progress) and not isinstance(progress, bool):
                    progress(hi, n)
        finally:
            if bar is not None:
                bar.close()
        return n

    # -- reading -----------------------------------------------------------
    def query(self, collection: str, embeddings: ArrayLike, n_results: int = 10,
              where: Mapping[str, Any] | None = None) -> list[list[Hit]]:
        """Nearest stored vectors of each query vector, nearest first.

        Parameters
        ----------
        collection : str
            An existing collection of this store's distance.
        embeddings : array-like of shape (n_queries, dimension) or (dimension,)
            Query vectors (a 1-D array is one query).
        n_results : int, default=10
            Hits per query, >= 1 (fewer when the collection, or the part
            of it that ``where`` selects, is smaller).
        where : dict, optional
            A Chroma metadata filter, e.g. ``{"label": 3}`` or
            ``{"label": {"$in": [3, 5]}}``.

        Returns
        -------
        hits : list of list of Hit
            One list per query of ``Hit(id, document, distance, metadata)``
            sorted by increasing distance (defined per metric in the class
            Notes: the Euclidean distance for ``"l2"``).

        Examples
        --------
        >>> from veob.store import ChromaStore
        >>> store = ChromaStore()
        >>> store.upsert("vecs", [[0.0, 0.0], [0.0, 2.0], [5.0, 5.0]],
        ...              metadatas=[{"kind": "a"}, {"kind": "b"}, {"kind": "a"}], progress=False)
        3
        >>> [h.id for h in store.query("vecs", [0.0, 1.9], n_results=2)[0]]
        ['1', '0']
        >>> [h.id for h in store.query("vecs", [0.0, 1.9], n_results=2, where={"kind": "a"})[0]]
        ['0', '2']
        """
        col = self._existing(collection)
        self._check_space(col, collection)
        Q = np.asarray(embeddings) if not isinstance(embeddings, (str, bytes)) else embeddings
        if isinstance(Q, np.ndarray) and Q.ndim == 1:
            Q = Q.reshape(1, -1)
        Q = _check_embeddings(Q, "embeddings")
        n_results = check_int(n_results, "n_results", low=1)
        if where is not None and not isinstance(where, dict):
            raise TypeError(f"where={where!r} must be a dict (a Chroma metadata filter) or None")
        out = []
        fields = self._fields(collection)
        include = ["distances"] + [name for name in ("documents", "metadatas") if fields[name]]
        for lo in range(0, Q.shape[0], self.max_batch_size):
            chunk = Q[lo:lo + self.max_batch_size]
            try:
                # Chroma itself returns fewer hits than n_results from a smaller (or empty) collection
                res = col.query(query_embeddings=chunk, n_results=n_results, where=where, include=include)
            except Exception as exc:
                if "dimension" in str(exc):
                    dim = self._dimension(col)
                    raise ValueError(
                        f"embeddings have dimension {Q.shape[1]} but collection={collection!r} holds "
                        f"vectors of dimension {dim}"
                    ) from None
                if where is not None and type(exc).__name__ in ("InvalidArgumentError", "ValueError"):
                    raise ValueError(f"where={where!r} is not a valid Chroma filter: {exc}") from None
                raise
            out.extend(self._hits(res, len(chunk)))
        return out

    def _hits(self, res, n_queries):
        """Hit lists of one Chroma result, in one pass: distances converted as a matrix, tuples built in C."""
        ids, dist = res["ids"], res["distances"]
        docs = res.get("documents") or [None] * n_queries
        metas = res.get("metadatas") or [None] * n_queries
        lengths = {len(row) for row in ids}
        if len(lengths) == 1:  # every query got the same number of hits (no filter cut them short)
            D = np.asarray(dist, dtype=np.float64).reshape(n_queries, lengths.pop())
            if self.distance == "l2":
                D = np.sqrt(np.maximum(D, 0.0))  # Chroma reports squared Euclidean distances
            unsorted = np.flatnonzero((np.diff(D, axis=1) < 0).any(axis=1)) if D.shape[1] > 1 else ()
            D = D.tolist()
        else:
            D = [np.asarray(row, dtype=np.float64) for row in dist]
            if self.distance == "l2":
                D = [np.sqrt(np.maximum(row, 0.0)) for row in D]
            unsorted = [q for q, row in enumerate(D) if row.size > 1 and (np.diff(row) < 0).any()]
            D = [row.tolist() for row in D]
        new, none = tuple.__new__, repeat(None)
        hits = [list(map(new, repeat(Hit), zip(i, dq if dq is not None else none, d,
                                               mq if mq is not None else none)))
                for i, dq, d, mq in zip(ids, docs, D, metas)]
        for q in unsorted:  # HNSW returns hits sorted; keep it guaranteed
            hits[q].sort(key=lambda h: h.distance)
        return hits

    def get(self, collection: str, ids: Sequence[str] | None = None, *, document: str | None = None,
            include_embeddings: bool = True, limit: int | None = None) -> list[Record]:
        """Stored vectors by id, by exact document text, or all of them.

        Parameters
        ----------
        collection : str
            An existing collection.
        ids : sequence of str, optional
            Ids to fetch; ids that are not stored are left out. The
            records come in the order of ``ids``.
        document : str, optional
            Fetch the vectors whose document equals this text exactly.
        include_embeddings : bool, default=True
            Return the vectors (False: ``embedding`` is None, faster).
        limit : int, optional
            At most this many records.

        Notes
        -----
        Records are fetched in pages of :attr:`max_batch_size` (Chroma
        binds one SQL variable per id, so one ``get`` of more than ~32,000
        records fails), so any number of records can be read; they all sit
        in memory at once, about ``n * (4 * dimension + 200)`` bytes.

        Returns
        -------
        records : list of Record
            ``Record(id, document, metadata, embedding)``.

        Examples
        --------
        >>> from veob.store import ChromaStore
        >>> store = ChromaStore()
        >>> store.upsert("words", [[1.0, 0.0], [0.0, 1.0]], ids=["w-cat", "w-dog"],
        ...              documents=["cat", "dog"], progress=False)
        2
        >>> store.get("words", document="dog")[0].id
        'w-dog'
        >>> store.get("words", ids=["w-cat", "w-none"])[0].embedding.tolist()
        [1.0, 0.0]
        """
        col = self._existing(collection)
        if ids is not None and document is not None:
            raise ValueError("pass ids or document, not both")
        if limit is not None:
            limit = check_int(limit, "limit", low=1)
        include = ["documents", "metadatas"] + (["embeddings"] if include_embeddings else [])
        page = self.max_batch_size  # Chroma binds one SQL variable per id: a single get of ~33,000 fails
        records: list[Record] = []
        if ids is not None:
            ids = [ids] if isinstance(ids, str) else list(ids)
            ids = _check_str_list(ids, "ids", len(ids))
            for lo in range(0, len(ids), page):
                self._records(col.get(ids=ids[lo:lo + page], include=include), records, include_embeddings)
        else:
            if document is not None and (not isinstance(document, str) or not document):
                raise TypeError(f"document={document!r} must be a non-empty str")
            where_document = None if document is None else {"$contains": document}
            offset = 0
            while limit is None or len(records) < limit:
                size = page if limit is None or document is not None else min(page, limit - len(records))
                res = col.get(where_document=where_document, include=include, limit=size, offset=offset)
                self._records(res, records, include_embeddings, document)
                if len(res["ids"]) < size:
                    break
                offset += size
        if ids is not None:
            order = {rid: i for i, rid in enumerate(ids)}
            records.sort(key=lambda r: order[r.id])
        return records[:limit] if limit is not None else records

    @staticmethod
    def _records(res, records, include_embeddings, document=None):
        """Append the Records of one Chroma ``get`` result (exact ``document`` matches only)."""
        embs = res.get("embeddings")
        docs, metas = res.get("documents"), res.get("metadatas")
        for j, rid in enumerate(res["ids"]):
            doc = docs[j] if docs is not None else None
            if document is not None and doc != document:
                continue
            md = metas[j] if metas is not None else None
            emb = np.asarray(embs[j], dtype=np.float32) if include_embeddings and embs is not None else None
            records.append(Record(rid, doc, md, emb))
