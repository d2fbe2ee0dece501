"""Text sources on the command line: text files, folders of them, tar archives of them, the IMDB archive.

``check_sources`` validates the paths (one-line ``UsageError`` naming the
flag); ``iter_documents`` streams ``(id, text)`` pairs so a corpus never
has to be held as raw text; ``source_key`` fingerprints the sources for
caches.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from ._common import UsageError

__all__ = ["check_sources", "iter_documents", "source_key", "read_texts"]

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz")
_TEXT_SUFFIXES = (".txt", ".text", ".md")
_WHAT = "text files, folders of .txt files, a .tar.gz of text files or the IMDB archive aclImdb.tar.gz"


def _is_imdb(path):
    """The IMDB archive (its members start with ``aclImdb/``) or an extracted aclImdb folder."""
    if path.is_file():
        if not path.name.endswith(ARCHIVE_SUFFIXES):
            return False
        try:
            with tarfile.open(path) as tar:
                for i, member in enumerate(tar):
                    if member.name.lstrip("./").startswith("aclImdb/"):
                        return True
                    if i >= 20:
                        break
        except (tarfile.TarError, OSError, EOFError):
            return False
        return False
    return (path / "train").is_dir() and (path / "test").is_dir() or (path / "aclImdb").is_dir()


def text_files(folder):
    """The text files below a folder (``*.txt``, ``*.text``, ``*.md``), sorted."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in _TEXT_SUFFIXES)


def check_sources(paths, flag):
    """``[(kind, path)]`` with kind ``"imdb"``, ``"archive"``, ``"file"`` or ``"folder"``.

    UsageError naming ``flag`` for a path that does not exist or a folder without text files.
    """
    out = []
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise UsageError(f"{flag} {str(path)!r} does not exist: give {_WHAT}")
        if _is_imdb(path):
            out.append(("imdb", path))
        elif path.is_file() and path.name.endswith(ARCHIVE_SUFFIXES):
            out.append(("archive", path))
        elif path.is_file():
            out.append(("file", path))
        else:
            if not text_files(path):
                raise UsageError(f"{flag} {str(path)!r} holds no text file (*.txt, *.text, *.md): give {_WHAT}")
            out.append(("folder", path))
    if not out:
        raise UsageError(f"{flag} needs at least one path: {_WHAT}")
    return out


def _read(path, flag):
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise UsageError(f"{flag}: cannot read {str(path)!r}: {exc.strerror or exc}") from None


def iter_documents(sources, *, flag, per_line=False, log=None):
    """Yield ``(id, text)`` for every document of the sources, streaming.

    One document per file (``per_line=False``) or per non-empty line
    (``per_line=True``; ids get ``:<line>``). IMDB reviews are
    ``<split>/<class>/<file>``; files of a folder or an archive are named
    by their path relative to it.
    """
    for kind, path in sources:
        if kind == "imdb":
            from ..datasets import load_imdb

            try:
                reviews = load_imdb(path, subsets=("train", "test", "unsup"))
            except (FileNotFoundError, ValueError, tarfile.TarError) as exc:
                raise UsageError(f"{flag} {str(path)!r}: {str(exc).splitlines()[0]}") from None
            if log:
                log(f"{len(reviews.texts):,} IMDB reviews from {path}")
            for name, text in zip(reviews.files, reviews.texts):
                yield from _split(str(name), text, per_line)
        elif kind == "archive":
            n = 0
            try:
                with tarfile.open(path) as tar:
                    for member in tar:
                        if not member.isfile() or not member.name.lower().endswith(_TEXT_SUFFIXES):
                            continue
                        fh = tar.extractfile(member)
                        if fh is None:
                            continue
                        n += 1
                        yield from _split(member.name, fh.read().decode("utf-8", errors="replace"), per_line)
            except (tarfile.TarError, OSError, EOFError) as exc:
                reason = str(exc).splitlines()[0]
                raise UsageError(f"{flag} {str(path)!r} is not a readable tar archive: {reason}") from None
            if n == 0:
                raise UsageError(f"{flag} {str(path)!r} holds no text file (*.txt, *.text, *.md)")
            if log:
                log(f"{n:,} text files from {path}")
        else:
            files = [path] if kind == "file" else text_files(path)
            base = path.parent if kind == "file" else path
            for file in files:
                yield from _split(str(file.relative_to(base)), _read(file, flag), per_line)
            if kind == "folder" and log:
                log(f"{len(files):,} text files from {path}")


def _split(name, text, per_line):
    if not per_line:
        yield name, text
        return
    for i, line in enumerate(text.splitlines(), 1):
        if line.strip():
            yield f"{name}:{i}", line


def read_texts(sources, *, flag, log=None):
    """The documents of the sources as a list of str (one per file or IMDB review)."""
    return [text for _, text in iter_documents(sources, flag=flag, log=log)]


def _stamp(path):
    st = path.stat()
    return [str(path.resolve()), st.st_size, st.st_mtime_ns]


def source_key(sources, **extra):
    """A JSON key of the sources (paths, sizes, modification times), ``extra`` and the veob version."""
    from .._version import __version__

    parts = []
    for kind, path in sources:
        if kind == "folder":
            parts.append([kind, str(path.resolve()), [_stamp(p) for p in text_files(path)]])
        elif kind == "imdb" and path.is_dir():
            parts.append([kind] + _stamp(path) + [_stamp(p) for p in sorted(path.rglob("*")) if p.is_dir()])
        else:
            parts.append([kind] + _stamp(path))
    return json.dumps({"sources": parts, **extra, "veob": __version__}, sort_keys=True)
