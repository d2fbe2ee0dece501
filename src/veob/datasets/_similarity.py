"""Human similarity judgments: word pairs and sentence pairs (the development sets in ``dev_eval/``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ._base import corrupt, resolve_path

if TYPE_CHECKING:
    from .._typing import PathLike

__all__ = ["SIMILARITY_SETS", "load_sts", "load_word_similarity"]

# name -> (file, what it measures)
SIMILARITY_SETS = {
    "men-dev": ("MEN-dev.txt", "relatedness"),
    "mturk-771": ("EN-MTurk-771.txt", "relatedness"),
    "mturk-287": ("EN-MTurk-287.txt", "relatedness"),
    "rg-65": ("EN-RG-65.txt", "similarity"),
    "yp-130": ("EN-YP-130.txt", "verb similarity"),
    "verb-143": ("EN-VERB-143.txt", "verb similarity"),
    "simverb-3500": ("EN-SimVerb-3500.txt", "verb similarity"),
}
_STS = {"train": "sts-train.csv", "dev": "sts-dev.csv", "test": "sts-test.csv"}
_EXPECTED = "the folder of development sets (dev_eval/, see the data README)"


def _file(name, path, table, kind):
    if name not in table:
        raise ValueError(f"{kind}={name!r} is not known; choose one of {tuple(table)}")
    entry = table[name]
    filename = entry[0] if isinstance(entry, tuple) else entry
    folder = resolve_path(path, "dev_eval", what="similarity sets", expected=_EXPECTED)
    file = folder / filename if Path(folder).is_dir() else Path(folder)
    if not file.is_file():
        raise FileNotFoundError(f"similarity sets: {str(file)!r} does not exist; expected {filename} in "
                                f"{_EXPECTED}")
    return file


def load_word_similarity(name: str, path: PathLike | None = None) -> list[tuple[str, str, float]]:
    """Word pairs with human similarity scores.

    Parameters
    ----------
    name : str
        One of :data:`SIMILARITY_SETS`: ``"men-dev"``, ``"mturk-771"``,
        ``"mturk-287"``, ``"rg-65"``, ``"yp-130"``, ``"verb-143"``,
        ``"simverb-3500"``.
    path : str, os.PathLike or None, default=None
        The ``dev_eval`` folder (or the file itself); default
        ``$VEOB_DATA/dev_eval``.

    Returns
    -------
    pairs : list of (str, str, float)
        Lower-cased words (MEN's part-of-speech suffixes ``-n``, ``-v``,
        ``-j`` removed) and the human score.

    Examples
    --------
    >>> import os, tempfile
    >>> from veob.datasets import load_word_similarity
    >>> folder = tempfile.mkdtemp()
    >>> _ = open(os.path.join(folder, "MEN-dev.txt"), "w").write("sun-n sunlight-n 50.0\\ncar-n tree-n 3\\n")
    >>> load_word_similarity("men-dev", folder)
    [('sun', 'sunlight', 50.0), ('car', 'tree', 3.0)]
    """
    file = _file(name, path, SIMILARITY_SETS, "name")
    men = name.startswith("men")
    pairs = []
    with open(file, encoding="utf8") as fh:
        for line_no, line in enumerate(fh, 1):
            parts = line.split()
            if not parts or parts[0].startswith("#"):
                continue
            if len(parts) < 3:
                raise corrupt(file, f"line {line_no} has {len(parts)} fields; expected 'word1 word2 score'")
            a, b = parts[0].lower(), parts[1].lower()
            if men:
                a, b = a.rsplit("-", 1)[0], b.rsplit("-", 1)[0]
            try:
                score = float(parts[2])
            except ValueError:
                raise corrupt(file, f"line {line_no} has the score {parts[2]!r}; expected a number") from None
            pairs.append((a, b, score))
    return pairs


def load_sts(split: str = "dev",
             path: PathLike | None = None) -> tuple[list[str], list[str], list[float]]:
    """STS Benchmark sentence pairs with their similarity scores (0-5).

    Parameters
    ----------
    split : {"train", "dev", "test"}, default="dev"
        The split (``sts-<split>.csv``; the test split is not shipped with
        the development sets).
    path : str, os.PathLike or None, default=None
        The ``dev_eval`` folder (or the file itself); default
        ``$VEOB_DATA/dev_eval``.

    Returns
    -------
    first, second : list of str
        The two sentences of each pair.
    scores : list of float
        The gold scores.

    Examples
    --------
    >>> import os, tempfile
    >>> from veob.datasets import load_sts
    >>> folder = tempfile.mkdtemp()
    >>> row = "main-captions\\tMSRvid\\t2012test\\t0001\\t5.000\\tA plane takes off.\\tAn airplane takes off.\\n"
    >>> _ = open(os.path.join(folder, "sts-dev.csv"), "w").write(row)
    >>> load_sts("dev", folder)
    (['A plane takes off.'], ['An airplane takes off.'], [5.0])
    """
    file = _file(split, path, _STS, "split")
    first, second, scores = [], [], []
    with open(file, encoding="utf8") as fh:
        for line_no, line in enumerate(fh, 1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 7:
                raise corrupt(file, f"line {line_no} has {len(parts)} tab-separated fields; expected at least 7")
            try:
                scores.append(float(parts[4]))
            except ValueError:
                raise corrupt(file, f"line {line_no} has the score {parts[4]!r}; expected a number") from None
            first.append(parts[5])
            second.append(parts[6])
    return first, second, scores
