"""The word2vec text and binary formats (as written and read by gensim's ``KeyedVectors``)."""

from __future__ import annotations

import os
import warnings

import numpy as np

__all__ = ["read_word2vec", "write_word2vec"]

_SNIFF = 1 << 16


def write_word2vec(path, words, vectors, *, binary=False):
    """Write ``words`` and ``vectors`` in the word2vec format, atomically.

    The bytes are those of gensim's ``KeyedVectors.save_word2vec_format``:
    a header ``"n_words dim\\n"``, then per word either ``word`` and the
    ``str`` of each float32 value separated by single spaces and a newline
    (text), or ``word``, one space and the ``dim`` little-endian float32
    values with no separator (binary). The file is written to a temporary
    name beside ``path`` and renamed, so a failure leaves no partial file.
    """
    path = os.fspath(path)
    vectors = np.asarray(vectors, dtype=np.float32)
    for i, w in enumerate(words):
        if not w or any(ch.isspace() for ch in w):
            raise ValueError(f"word {i} ({w!r}) cannot be written in the word2vec format: words must be "
                             "non-empty and hold no whitespace")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"path={path!r}: the folder {folder!r} does not exist")
    tmp = f"{path}.tmp-{os.getpid()}"
    little = vectors.astype("<f4", copy=False)
    try:
        with open(tmp, "wb") as fh:
            fh.write(f"{vectors.shape[0]} {vectors.shape[1]}\n".encode())
            if binary:
                for w, row in zip(words, little):
                    fh.write(w.encode("utf8") + b" " + row.tobytes())
            else:
                step = 1024
                for a in range(0, vectors.shape[0], step):
                    block = vectors[a:a + step].astype(str)  # numpy's str of each float32, as gensim writes
                    fh.write("".join(f"{w} {' '.join(row)}\n" for w, row in zip(words[a:a + step], block.tolist()))
                             .encode("utf8"))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _looks_binary(fh, dim):
    """Whether the records after the header are binary (sniffs the first record)."""
    start = fh.tell()
    head = fh.read(_SNIFF)
    fh.seek(start)
    line, _, _ = head.partition(b"\n")
    try:
        parts = line.decode("utf8").rstrip().split(" ")
        if len(parts) == dim + 1:
            [float(x) for x in parts[1:]]
            return False
    except (UnicodeDecodeError, ValueError):
        pass
    return True


def read_word2vec(path, *, binary=None, limit=None):
    """Read a word2vec text or binary file: ``(words, vectors)`` (float32).

    Raises ValueError naming the line (text) or record (binary) at fault;
    nothing is returned unless the whole file (up to ``limit`` words) is
    valid. A repeated word keeps its first vector with a warning, as gensim
    does.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"path={path!r} is not a file" if os.path.exists(path)
                                else f"path={path!r} does not exist")
    with open(path, "rb") as fh:
        header = fh.readline()
        try:
            n_words, dim = (int(x) for x in header.decode("utf8").split())
        except (UnicodeDecodeError, ValueError):
            raise ValueError(f"{path}: line 1 is {header[:60]!r}; a word2vec file starts with "
                             "'<number of words> <dimension>'") from None
        if n_words < 0 or dim < 1:
            raise ValueError(f"{path}: line 1 declares {n_words} words of dimension {dim}; both must be positive")
        if limit is not None:
            n_words = min(n_words, limit)
        if binary is None:
            binary = _looks_binary(fh, dim)
        if binary:
            words, vectors = _read_binary(fh, path, n_words, dim)
        else:
            words, vectors = _read_text(fh, path, n_words, dim)
    bad = ~np.isfinite(vectors).all(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        where = f"record {i + 1}" if binary else f"line {i + 2}"
        raise ValueError(f"{path}: {where} ({words[i]!r}) holds NaN or infinity")
    return _first_of_each(words, vectors, path)


def _read_text(fh, path, n_words, dim):
    words = []
    vectors = np.empty((n_words, dim), dtype=np.float32)
    for i in range(n_words):
        line = fh.readline()
        if not line:
            raise ValueError(f"{path}: the file ends at line {i + 1}, but its header promises {n_words} words")
        try:
            parts = line.decode("utf8").rstrip().split(" ")
        except UnicodeDecodeError:
            raise ValueError(f"{path}: line {i + 2} is not UTF-8 text (a binary file? pass binary=True)") from None
        if len(parts) != dim + 1:
            raise ValueError(f"{path}: line {i + 2} has {len(parts) - 1} values after the word {parts[0]!r}; "
                             f"the header says {dim}")
        try:
            vectors[i] = np.asarray(parts[1:], dtype=np.float32)
        except ValueError:
            raise ValueError(f"{path}: line {i + 2} ({parts[0]!r}) holds a value that is not a number") from None
        words.append(parts[0])
    return words, vectors


def _read_binary(fh, path, n_words, dim):
    words = []
    vectors = np.empty((n_words, dim), dtype=np.float32)
    size = 4 * dim
    buf = b""
    pos = 0
    for i in range(n_words):
        while True:
            space = buf.find(b" ", pos)
            if space >= 0 and len(buf) - space - 1 >= size:
                break
            more = fh.read(1 << 20)
            if not more:
                raise ValueError(f"{path}: the file ends in record {i + 1}, but its header promises {n_words} "
                                 "words")
            buf = buf[pos:] + more
            pos = 0
        raw = buf[pos:space]
        try:
            word = raw.decode("utf8").lstrip("\n")  # the C tool writes a newline after each vector
        except UnicodeDecodeError:
            raise ValueError(f"{path}: record {i + 1} has a word that is not UTF-8 ({raw[:40]!r})") from None
        if not word or len(word) > 1000:
            raise ValueError(f"{path}: record {i + 1} has no valid word before its vector (a text file? "
                             "pass binary=False)")
        vectors[i] = np.frombuffer(buf, dtype="<f4", count=dim, offset=space + 1)
        words.append(word)
        pos = space + 1 + size
    return words, vectors


def _first_of_each(words, vectors, path):
    seen = {}
    keep = []
    for i, w in enumerate(words):
        if w in seen:
            continue
        seen[w] = i
        keep.append(i)
    if len(keep) < len(words):
        warnings.warn(f"{path}: {len(words) - len(keep)} repeated words; kept the first vector of each "
                      "(as gensim does)", stacklevel=3)
        vectors = vectors[keep]
        words = [words[i] for i in keep]
    return words, vectors
