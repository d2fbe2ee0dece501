"""Folders and tar archives of images (Kaggle Dogs vs. Cats and the like)."""

from __future__ import annotations

import contextlib
import io
import numbers
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .._threads import effective_n_jobs
from ._base import check_path, corrupt, iter_tar, natural_key

if TYPE_CHECKING:
    from .._typing import PathLike

__all__ = ["load_image_folder"]

_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff",
                         ".webp", ".ppm", ".pgm", ".pbm"})
_PREFIX_LABELS = {"cat": 0, "dog": 1}
_ON_ERROR = ("raise", "skip")
_BATCH = 32          # images per thread-pool task
_SHOWN = 5           # unreadable images named in the error message


def load_image_folder(path: PathLike, *, size: tuple[int, int] = (128, 128), n_jobs: int | None = None,
                      limit: int | None = None,
                      on_error: str = "raise") -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Load a folder or tar archive of images as one uint8 RGB array.

    Archives are read in place (no extraction to disk): one pass lists the
    members, a second streams them to a thread pool that decodes straight
    into the output array (Pillow releases the GIL while decoding and
    resizing, so the threads run in parallel).

    Parameters
    ----------
    path : str or os.PathLike
        A folder of images (searched recursively) or a ``.tar`` /
        ``.tar.gz`` (``.tgz``, ``.tar.bz2``, ``.tar.xz``) archive of them.
        Files with the extensions .jpg, .jpeg, .png, .bmp, .gif, .tif,
        .tiff, .webp, .ppm, .pgm, .pbm (any case) are images; hidden files
        and other files are ignored.
    size : int or (int, int), default=(128, 128)
        The output ``(height, width)``; an int means a square. Images of
        another size are resized with bilinear filtering (no aspect ratio
        kept, as Keras ``target_size``).
    n_jobs : int or None, default=None
        Decoding threads: -1 for every CPU, -2 for all but one; None is the
        enclosing joblib context's ``n_jobs``, else every CPU.
    limit : int or None, default=None
        Load only the first ``limit`` images of the sorted order (below).
    on_error : {"raise", "skip"}, default="raise"
        What to do with images that cannot be decoded: ``"raise"`` raises
        one ValueError naming the first few of them (after trying all);
        ``"skip"`` leaves them out and emits one warning naming them
        (``limit`` counts them, so fewer than ``limit`` images come back).

    Returns
    -------
    X : ndarray of uint8 of shape (n_images, height, width, 3)
        The RGB images; grey, palette, RGBA (alpha dropped) and CMYK images
        are converted to RGB.
    y : ndarray of int64 of shape (n_images,)
        The labels (see Notes).
    filenames : list of str
        Each image's path relative to ``path`` (its member name in an
        archive), with ``/`` separators.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ImportError
        If Pillow is not installed (``pip install 'veob[images]'``).
    ValueError
        If no image is found, the archive is corrupt, the images are both at
        the top and in sub-folders, or (``on_error="raise"``) an image cannot
        be decoded; the message names the files.

    See Also
    --------
    veob.spectral.dct2 : 2-D DCT of the images.

    Notes
    -----
    The labels are read from the layout. Leading folders shared by every
    image are skipped first (``train/cat.0.jpg`` is read as ``cat.0.jpg``).
    Then, if every image sits in a sub-folder, the first sub-folder is the
    class and the labels are the positions of the class names in their
    sorted (plain string) order, 0, 1, ...; the class names are
    ``sorted({f.split("/")[k] for f in filenames})`` for that folder level
    ``k``. Otherwise the images are one flat folder and a name starting with
    ``cat.`` is 0, ``dog.`` is 1 (Kaggle Dogs vs. Cats, any case), anything
    else -1 (for example Kaggle's unlabelled ``test1/1.jpg``).

    The order is deterministic: by label in the sub-folder layout, then by
    natural order of the file names (``cat.2`` before ``cat.10``, case ignored).

    JPEGs larger than twice ``size`` are decoded at a reduced scale
    (libjpeg's DCT scaling, :meth:`PIL.Image.Image.draft`) before the
    bilinear resize, which is several times faster; the pixels differ
    slightly from a full decode followed by the resize (by about 2 grey
    levels on average for photos shrunk by half).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from PIL import Image
    >>> from veob.datasets import load_image_folder
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = Path(tmp.name)
    >>> rng = np.random.default_rng(0)
    >>> for name in ["cat.10.png", "cat.2.png", "dog.1.png"]:
    ...     pixels = rng.integers(0, 256, (40, 30, 3), dtype=np.uint8)
    ...     Image.fromarray(pixels).save(folder / name)
    >>> X, y, filenames = load_image_folder(folder, size=(20, 16))
    >>> X.shape, X.dtype
    ((3, 20, 16, 3), dtype('uint8'))
    >>> y, filenames
    (array([0, 0, 1]), ['cat.2.png', 'cat.10.png', 'dog.1.png'])
    >>> tmp.cleanup()
    """
    path = check_path(path)
    size = _check_size(size)
    n_threads = effective_n_jobs(n_jobs, numba_threads=False)
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, numbers.Integral):
            raise TypeError(f"limit={limit!r} must be None or an integer")
        if limit < 1:
            raise ValueError(f"limit={limit} must be >= 1 (or None for every image)")
        limit = int(limit)
    if on_error not in _ON_ERROR:
        raise ValueError(f"on_error={on_error!r} must be one of {_ON_ERROR}")
    if not path.exists():
        raise FileNotFoundError(
            f"images: {str(path)!r} does not exist; expected a folder of images or a .tar/.tar.gz "
            "archive of them (e.g. $VEOB_DATA/cats_vs_dogs/train_128.tar.gz): set VEOB_DATA to the "
            "shared data folder or pass path=..."
        )
    image_module = _import_pillow()
    return _load_image_folder(path, size, n_threads, limit, on_error, image_module)


def _import_pillow():
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError("load_image_folder needs pillow: pip install 'veob[images]'") from exc
    return Image


def _check_size(size):
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        size = (size, size)
    try:
        height, width = size
    except (TypeError, ValueError):
        raise TypeError(f"size={size!r} must be an int or a (height, width) pair of ints") from None
    for value in (height, width):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"size={size!r} must be an int or a (height, width) pair of ints")
        if value < 1:
            raise ValueError(f"size={size!r}: height and width must be >= 1")
    return int(height), int(width)


def _is_image(name):
    base = name.rsplit("/", 1)[-1]
    if base.startswith(".") or "__MACOSX/" in name or "/." in name:
        return False
    return os.path.splitext(base)[1].lower() in _EXTENSIONS


def _labels(names, source):
    """Labels and sort order of the relative image names (see the Notes)."""
    parts = [name.split("/") for name in names]
    depth = 0  # leading folders shared by every image
    while all(len(p) > depth + 1 for p in parts) and len({p[depth] for p in parts}) == 1:
        depth += 1
    nested = [len(p) > depth + 1 for p in parts]
    if all(nested):
        classes = sorted({p[depth] for p in parts})
        index = {c: i for i, c in enumerate(classes)}
        labels = [index[p[depth]] for p in parts]
        order = sorted(range(len(names)), key=lambda i: (labels[i], natural_key(names[i])))
    elif not any(nested):
        labels = [_PREFIX_LABELS.get(p[-1].split(".", 1)[0].lower(), -1) for p in parts]
        order = sorted(range(len(names)), key=lambda i: natural_key(names[i]))
    else:
        top = next(names[i] for i, n in enumerate(nested) if not n)
        sub = next(names[i] for i, n in enumerate(nested) if n)
        raise corrupt(source, f"images both at the top ({top!r}) and in sub-folders ({sub!r}); "
                              "put every image in a class sub-folder, or pass the folder of the images")
    return np.asarray(labels, dtype=np.int64)[order], order


def _decode(data, out, Image):
    """Decode one image into ``out`` (height, width, 3); return None or the error."""
    height, width = out.shape[:2]
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format == "JPEG":
                image.draft("RGB", (width, height))
            if image.mode != "RGB":
                image = image.convert("RGB")
            if image.size != (width, height):
                image = image.resize((width, height), Image.BILINEAR)
            out[...] = np.asarray(image)
    except Exception as exc:  # any decoding failure of one file is reported by name
        return f"{type(exc).__name__}: {exc}"
    return None


def _decode_batch(batch, X, Image, read=None):
    """Decode ``[(row, name, data or None)]``; ``read(name)`` fetches missing data."""
    errors = []
    for row, name, data in batch:
        if data is None:
            try:
                data = read(name)
            except OSError as exc:
                errors.append((row, name, f"{type(exc).__name__}: {exc}"))
                continue
        error = _decode(data, X[row], Image)
        if error is not None:
            errors.append((row, name, error))
    return errors


def _load_image_folder(path, size, n_threads, limit, on_error, Image):
    archive = not path.is_dir()
    if archive:
        names = [name for name, _ in iter_tar(path, lambda name: False) if _is_image(name)]
        if len(set(names)) != len(names):
            twice = next(n for n in names if names.count(n) > 1)
            raise corrupt(path, f"the archive holds {twice!r} twice")
    else:
        names = []
        for root, dirs, files in os.walk(path):
            dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__MACOSX"]
            rel = Path(root).relative_to(path).as_posix()
            prefix = "" if rel == "." else rel + "/"
            names += [prefix + f for f in files if _is_image(prefix + f)]
    if not names:
        raise corrupt(path, "no image found (expected files with one of the extensions "
                            f"{', '.join(sorted(_EXTENSIONS))})")
    y, order = _labels(names, path)
    if limit is not None:
        order, y = order[:limit], y[:limit]
    filenames = [names[i] for i in order]
    X = np.empty((len(filenames),) + size + (3,), dtype=np.uint8)
    row_of = {name: row for row, name in enumerate(filenames)}

    errors = []
    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        if archive:
            futures, batch, remaining = [], [], len(row_of)
            with contextlib.closing(iter_tar(path, row_of.__contains__)) as members:
                for name, data in members:
                    if data is None:
                        continue
                    batch.append((row_of[name], name, data))
                    remaining -= 1
                    if len(batch) == _BATCH or remaining == 0:
                        futures.append(pool.submit(_decode_batch, batch, X, Image))
                        batch = []
                        # bound the bytes held in flight: wait for the oldest batches
                        while len(futures) > 4 * n_threads:
                            errors += futures.pop(0).result()
                    if remaining == 0:
                        break  # every wanted member seen: stop reading the archive
        else:
            def read(name):
                with open(path / name, "rb") as fh:
                    return fh.read()

            futures = [pool.submit(_decode_batch, [(row, name, None) for row, name in
                                                   enumerate(filenames[start: start + _BATCH], start)],
                                   X, Image, read)
                       for start in range(0, len(filenames), _BATCH)]
        for future in futures:
            errors += future.result()

    if errors:
        errors.sort()
        listed = "; ".join(f"{name!r} ({error})" for _, name, error in errors[:_SHOWN])
        more = f" and {len(errors) - _SHOWN} more" if len(errors) > _SHOWN else ""
        message = f"{len(errors)} of {len(filenames)} images cannot be decoded: {listed}{more}"
        if on_error == "raise":
            raise corrupt(path, message + "; pass on_error='skip' to leave them out")
        warnings.warn(f"{str(path)!r}: {message}; they are left out", RuntimeWarning, stacklevel=3)
        keep = np.ones(len(filenames), dtype=bool)
        keep[[row for row, _, _ in errors]] = False
        X, y = X[keep], y[keep]
        filenames = [name for name, k in zip(filenames, keep) if k]
    return X, y, filenames
