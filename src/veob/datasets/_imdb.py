"""The IMDB Large Movie Review dataset (aclImdb v1, Maas et al. 2011)."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

import numpy as np
from sklearn.utils import Bunch

from ._base import corrupt, gc_paused, iter_tar, resolve_path

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._typing import PathLike

__all__ = ["load_imdb"]

_SUBSETS = ("train", "test", "unsup")
# subset -> the (split, class) folders it reads, in output order
_FOLDERS = {
    "train": (("train", "pos"), ("train", "neg")),
    "test": (("test", "pos"), ("test", "neg")),
    "unsup": (("train", "unsup"),),
}
_SUBSET_OF = {folder: subset for subset, folders in _FOLDERS.items() for folder in folders}
_LABELS = {"pos": 1, "neg": 0, "unsup": -1}
_CLASS_ORDER = {"pos": 0, "neg": 1, "unsup": 2}
_MEMBER = re.compile(r"(?:^|/)((train|test)/(pos|neg|unsup)/(\d+)_(\d+)\.txt)$")
_FILE = re.compile(r"(\d+)_(\d+)\.txt")
_EXPECTED = ("the aclImdb folder (holding train/ and test/), its parent, "
             "or the aclImdb.tar.gz archive")


def load_imdb(path: PathLike | None = None, *, subsets: str | Sequence[str] = ("train", "test")) -> Bunch:
    """Load the IMDB movie reviews (aclImdb v1), from the archive or a folder.

    The archive is read in place, in one streaming pass (no extraction to
    disk); reading all 100,000 reviews takes a couple of seconds.

    Parameters
    ----------
    path : str, os.PathLike or None, default=None
        The ``aclImdb`` folder (the one holding ``train/`` and ``test/``),
        its parent, or the ``aclImdb.tar.gz`` archive (also ``.tar``,
        ``.tar.bz2``, ``.tar.xz``). None reads
        ``$VEOB_DATA/imdb/aclImdb.tar.gz``.
    subsets : str or sequence of {"train", "test", "unsup"}, default=("train", "test")
        The parts to read, in this order: ``"train"`` is ``train/pos`` and
        ``train/neg`` (25,000 reviews), ``"test"`` is ``test/pos`` and
        ``test/neg`` (25,000), ``"unsup"`` is ``train/unsup`` (50,000
        unlabelled reviews). A single string reads one subset.

    Returns
    -------
    data : :class:`sklearn.utils.Bunch`
        With fields of equal length ``n_reviews``, ordered by subset (as
        given), then class (pos, neg, unsup), then numeric review id:

        texts : list of str
            The reviews, UTF-8 decoded, exactly as in the files (with their
            ``<br />`` tags).
        labels : ndarray of int64
            1 for pos, 0 for neg, -1 for unsup.
        ratings : ndarray of int64
            The star rating from the ``<id>_<rating>.txt`` file name (1-4 neg,
            7-10 pos, 0 unsup).
        ids : ndarray of int64
            The review id from the file name (ids restart in every folder).
        subsets : ndarray of str
            The subset of each review.
        files : ndarray of str
            The file names relative to the aclImdb folder, e.g.
            ``"train/pos/0_9.txt"``.

    Raises
    ------
    FileNotFoundError
        If ``path`` (or a folder of a requested subset) does not exist.
    ValueError
        If the archive is corrupt or truncated, a review is not valid UTF-8,
        the same review file occurs twice, or a requested subset holds no
        review; the message names the file.

    See Also
    --------
    load_dictionary : the dictionary entries for the paper's section 6.4.

    Notes
    -----
    Labels follow the folders: pos reviews have ratings >= 7, neg reviews
    <= 4. The 25k/25k train/test split is the original one, with disjoint
    movies. The paper's word embeddings (sections 6.2-6.5) use the 50,000
    ``unsup`` reviews.

    References
    ----------
    .. [1] A. L. Maas, R. E. Daly, P. T. Pham, D. Huang, A. Y. Ng and C. Potts,
       "Learning Word Vectors for Sentiment Analysis", ACL 2011.

    Examples
    --------
    A tiny aclImdb tree written to a temporary folder:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from veob.datasets import load_imdb
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root = Path(tmp.name) / "aclImdb"
    >>> reviews = {"train/pos/0_9.txt": "Great film.", "train/neg/3_2.txt": "Dull.",
    ...            "train/unsup/5_0.txt": "Saw it.", "test/pos/10_8.txt": "Fun!",
    ...            "test/pos/2_7.txt": "Nice.", "test/neg/1_1.txt": "Awful."}
    >>> for name, text in reviews.items():
    ...     (root / name).parent.mkdir(parents=True, exist_ok=True)
    ...     _ = (root / name).write_text(text, encoding="utf-8")
    >>> data = load_imdb(root)
    >>> data.texts
    ['Great film.', 'Dull.', 'Nice.', 'Fun!', 'Awful.']
    >>> data.labels, data.ratings, data.ids
    (array([1, 0, 1, 1, 0]), array([9, 2, 7, 8, 1]), array([ 0,  3,  2, 10,  1]))
    >>> data.files.tolist()
    ['train/pos/0_9.txt', 'train/neg/3_2.txt', 'test/pos/2_7.txt', 'test/pos/10_8.txt', 'test/neg/1_1.txt']
    >>> load_imdb(Path(tmp.name), subsets="unsup").texts
    ['Saw it.']
    >>> tmp.cleanup()
    """
    subsets = _check_subsets(subsets)
    path = resolve_path(path, "imdb/aclImdb.tar.gz", what="IMDB (aclImdb)", expected=_EXPECTED)
    with gc_paused():
        return _load_imdb(path, subsets)


def _check_subsets(subsets):
    if isinstance(subsets, str):
        subsets = (subsets,)
    try:
        subsets = tuple(subsets)
    except TypeError:
        raise TypeError(f"subsets={subsets!r} must be a string or a sequence of {_SUBSETS}") from None
    if not subsets:
        raise ValueError(f"subsets={subsets!r} is empty; choose one or more of {_SUBSETS}")
    for subset in subsets:
        if subset not in _SUBSETS:
            raise ValueError(f"subsets={subsets!r}: {subset!r} is not one of {_SUBSETS}")
    if len(set(subsets)) != len(subsets):
        raise ValueError(f"subsets={subsets!r} names a subset twice")
    return subsets


def _load_imdb(path, subsets):
    wanted = {folder for subset in subsets for folder in _FOLDERS[subset]}
    if path.is_dir():
        records, source = _read_folder(path, wanted), path
    else:
        records, source = _read_archive(path, wanted), path
    order = {subset: i for i, subset in enumerate(subsets)}
    records.sort(key=lambda r: (order[_SUBSET_OF[r[1], r[2]]], _CLASS_ORDER[r[2]], r[3]))
    for subset in subsets:
        if not any(_SUBSET_OF[r[1], r[2]] == subset for r in records):
            folders = " and ".join(f"aclImdb/{s}/{c}/<id>_<rating>.txt" for s, c in _FOLDERS[subset])
            raise corrupt(source, f"no review of subset {subset!r} found (expected {folders})")
    texts = []
    for file, _, _, _, _, raw in records:
        try:
            texts.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise corrupt(source, f"review {file!r} is not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    return Bunch(
        texts=texts,
        labels=np.array([_LABELS[r[2]] for r in records], dtype=np.int64),
        ratings=np.array([r[4] for r in records], dtype=np.int64),
        ids=np.array([r[3] for r in records], dtype=np.int64),
        subsets=np.array([_SUBSET_OF[r[1], r[2]] for r in records], dtype=str),
        files=np.array([r[0] for r in records], dtype=str),
    )


def _read_archive(path, wanted):
    """(file, split, class, id, rating, bytes) of the wanted members of the archive."""

    def select(name):
        match = _MEMBER.search(name)
        return match is not None and (match[2], match[3]) in wanted

    records, seen = [], set()
    for name, data in iter_tar(path, select):
        if data is None:
            continue
        match = _MEMBER.search(name)
        file = match[1]
        if file in seen:
            raise corrupt(path, f"the archive holds {file!r} twice")
        seen.add(file)
        records.append((file, match[2], match[3], int(match[4]), int(match[5]), data))
    return records


def _read_folder(path, wanted):
    """(file, split, class, id, rating, bytes) of the wanted review files of the folder."""
    root = path / "aclImdb" if (path / "aclImdb").is_dir() else path
    if not any((root / split).is_dir() for split in ("train", "test")):
        raise FileNotFoundError(
            f"IMDB (aclImdb): {str(path)!r} holds neither train/ nor test/ nor aclImdb/; expected "
            f"{_EXPECTED}: set VEOB_DATA to the shared data folder or pass path=..."
        )
    records = []
    for split, cls in sorted(wanted):
        folder = root / split / cls
        if not folder.is_dir():
            raise FileNotFoundError(
                f"IMDB (aclImdb): folder {str(folder)!r} is missing; expected the reviews of "
                f"{split}/{cls} there as <id>_<rating>.txt files (pass the complete aclImdb folder "
                "or the aclImdb.tar.gz archive)"
            )
        with os.scandir(folder) as entries:
            for entry in entries:
                match = _FILE.fullmatch(entry.name)
                if match is None or not entry.is_file():
                    continue
                with open(entry.path, "rb") as fh:
                    data = fh.read()
                records.append((f"{split}/{cls}/{entry.name}", split, cls,
                                int(match[1]), int(match[2]), data))
    return records
