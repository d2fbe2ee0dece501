"""UCI Pen-Based Recognition of Handwritten Digits (pendigits, resampled version)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import corrupt, iter_tar, resolve_path

if TYPE_CHECKING:
    from .._typing import PathLike

__all__ = ["load_pendigits"]

_FILES = ("pendigits.tra", "pendigits.tes")
_EXPECTED = "pendigits.tar.gz, or a folder holding pendigits.tra and pendigits.tes"
_N_FIELDS = 17


def load_pendigits(path: PathLike | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load the UCI pen-based handwritten digits as 8-point pen trajectories.

    Parameters
    ----------
    path : str, os.PathLike or None, default=None
        The ``pendigits.tar.gz`` archive (read in place; also ``.tar``,
        ``.tar.bz2``, ``.tar.xz``), or a folder holding ``pendigits.tra``
        and ``pendigits.tes``. None reads
        ``$VEOB_DATA/pendigits/pendigits.tar.gz``.

    Returns
    -------
    X_train : ndarray of float32 of shape (n_train, 8, 2)
        The training trajectories (7,494 digits by 30 writers): 8 points
        ``(x, y)`` in writing order, scaled to 0-100.
    y_train : ndarray of int64 of shape (n_train,)
        The digits 0-9.
    X_test : ndarray of float32 of shape (n_test, 8, 2)
        The test trajectories (3,498 digits by 14 other writers).
    y_test : ndarray of int64 of shape (n_test,)
        The digits 0-9.

    Raises
    ------
    FileNotFoundError
        If the path, or one of the two files in the folder, does not exist.
    ValueError
        If the archive is corrupt or lacks one of the two files, or a line is
        not 17 comma-separated integers (coordinates 0-100, digit 0-9); the
        message names the file and the line.

    See Also
    --------
    veob.spectral.spectral_transform : turns the point sequences into spectra.

    Notes
    -----
    Each line of ``pendigits.tra``/``.tes`` is ``x1, y1, ..., x8, y8,
    digit``: the pen trajectory resampled to 8 points evenly spaced along its
    arc length (pen-up/pen-down information is not kept). The two files are
    the official writer-independent split.

    References
    ----------
    .. [1] F. Alimoglu and E. Alpaydin, "Combining Multiple Representations and
       Classifiers for Pen-based Handwritten Digit Recognition", ICDAR 1997.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from veob.datasets import load_pendigits
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = Path(tmp.name)
    >>> line = " 47,100, 27, 81, 57, 37, 26,  0,  0, 23, 56, 53,100, 90, 40, 98,  8\\n"
    >>> _ = (folder / "pendigits.tra").write_text(line * 2)
    >>> _ = (folder / "pendigits.tes").write_text(line)
    >>> X_train, y_train, X_test, y_test = load_pendigits(folder)
    >>> X_train.shape, X_train.dtype, y_train
    ((2, 8, 2), dtype('float32'), array([8, 8]))
    >>> X_test[0, :2]
    array([[ 47., 100.],
           [ 27.,  81.]], dtype=float32)
    >>> tmp.cleanup()
    """
    path = resolve_path(path, "pendigits/pendigits.tar.gz", what="pendigits", expected=_EXPECTED)
    return _load_pendigits(path)


def _load_pendigits(path):
    if path.is_dir():
        texts = {}
        for name in _FILES:
            file = path / name
            if not file.is_file():
                raise FileNotFoundError(
                    f"pendigits: {str(file)!r} does not exist; expected {_EXPECTED}: "
                    "set VEOB_DATA to the shared data folder or pass path=..."
                )
            texts[name] = (file, file.read_bytes())
    else:
        texts = _read_archive(path)
    out = []
    for name in _FILES:
        source, raw = texts[name]
        out += _parse(raw, source)
    return tuple(out)


def _read_archive(path):
    found = {}
    for member, data in iter_tar(path, lambda m: m.rsplit("/", 1)[-1] in _FILES):
        if data is None:
            continue
        name = member.rsplit("/", 1)[-1]
        if name in found:
            raise corrupt(path, f"the archive holds {name} twice")
        found[name] = (f"{path}:{member}", data)
    for name in _FILES:
        if name not in found:
            raise corrupt(path, f"the archive holds no {name}; expected {_EXPECTED}")
    return found


def _parse(raw, source):
    """(X, y) of one file; errors name ``source`` and the line."""
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as exc:
        raise corrupt(source, f"not a text file (byte {exc.start} is not ASCII)") from None
    rows = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split(",")
        if len(fields) != _N_FIELDS:
            raise corrupt(source, f"line {lineno}: {len(fields)} comma-separated fields, expected "
                                  f"{_N_FIELDS} (x1, y1, ..., x8, y8, digit): {line[:80]!r}")
        try:
            values = [int(field) for field in fields]
        except ValueError:
            raise corrupt(source, f"line {lineno}: not all fields are integers: {line[:80]!r}") from None
        rows.append(values)
    if not rows:
        raise corrupt(source, "no data (the file is empty)")
    data = np.array(rows, dtype=np.int64)
    coords, digits = data[:, :16], data[:, 16]
    for values, low, high, what in ((coords, 0, 100, "coordinate"), (digits, 0, 9, "digit")):
        bad = np.flatnonzero(((values < low) | (values > high)).reshape(len(data), -1).any(axis=1))
        if bad.size:
            raise corrupt(source, f"line {_line_of(text, bad[0])}: a {what} is outside {low}-{high}")
    return [coords.astype(np.float32).reshape(-1, 8, 2), digits]


def _line_of(text, row):
    """1-based line number of the ``row``-th non-blank line."""
    count = -1
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.strip():
            count += 1
            if count == row:
                return lineno
    return -1
