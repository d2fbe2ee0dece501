"""MNIST and Fashion-MNIST from their original idx files."""

from __future__ import annotations

import lzma
import zlib
from typing import TYPE_CHECKING

import numpy as np

from ._base import compression_of, corrupt, open_decompressed, resolve_path

if TYPE_CHECKING:
    from .._typing import PathLike

__all__ = ["FASHION_MNIST_CLASSES", "load_mnist"]

#: The Fashion-MNIST class names, indexed by label (Xiao et al. 2017).
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

_KINDS = {"digits": ("MNIST", "mnist"), "fashion": ("Fashion-MNIST", "fashion_mnist")}
_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
          "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
_IMAGES_MAGIC, _LABELS_MAGIC = 2051, 2049


def load_mnist(path: PathLike | None = None, *,
               kind: str = "digits") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load MNIST or Fashion-MNIST from the four original idx files.

    Parameters
    ----------
    path : str, os.PathLike or None, default=None
        The folder holding ``train-images-idx3-ubyte``,
        ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
        ``t10k-labels-idx1-ubyte``, each gzip-compressed (``.gz``) or not
        (the ``name.idx3-ubyte`` spelling is accepted too). None reads
        ``$VEOB_DATA/mnist`` (``kind="digits"``) or
        ``$VEOB_DATA/fashion_mnist`` (``kind="fashion"``).
    kind : {"digits", "fashion"}, default="digits"
        Which dataset ``path=None`` reads; with an explicit ``path`` it only
        names the dataset in messages.

    Returns
    -------
    X_train : ndarray of uint8 of shape (n_train, 28, 28)
        Training images, row-major, 0 = background (60,000 for both datasets).
    y_train : ndarray of int64 of shape (n_train,)
        Training labels 0-9 (for Fashion-MNIST, indices into
        :data:`FASHION_MNIST_CLASSES`).
    X_test : ndarray of uint8 of shape (n_test, 28, 28)
        Test images (10,000).
    y_test : ndarray of int64 of shape (n_test,)
        Test labels.

    Raises
    ------
    FileNotFoundError
        If the folder or one of the four files is missing.
    ValueError
        If a file is truncated, too long, has the wrong magic number
        (images 2051, labels 2049) or is not valid gzip, or if the image and
        label counts of a split differ; the message names the file.

    See Also
    --------
    veob.spectral.dct2 : the 2-D DCT applied to the images in the paper's section 6.6.

    Notes
    -----
    The idx format: a big-endian header ``magic, n[, rows, cols]`` (4 bytes
    each), then the uint8 data row-major. The magic number's third byte is
    the data type (``0x08`` = uint8) and its fourth the number of
    dimensions, hence 2051 = ``0x00000803`` for images and 2049 =
    ``0x00000801`` for labels. The header must account for the file size
    exactly.

    References
    ----------
    .. [1] Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based
       learning applied to document recognition", Proc. IEEE 86(11), 1998.
    .. [2] H. Xiao, K. Rasul and R. Vollgraf, "Fashion-MNIST: a Novel Image
       Dataset for Benchmarking Machine Learning Algorithms", arXiv:1708.07747, 2017.

    Examples
    --------
    Two tiny idx splits written to a temporary folder:

    >>> import gzip, struct, tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from veob.datasets import FASHION_MNIST_CLASSES, load_mnist
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = Path(tmp.name)
    >>> images = np.arange(3 * 28 * 28).astype(np.uint8)
    >>> for split in ("train", "t10k"):
    ...     _ = (folder / f"{split}-images-idx3-ubyte").write_bytes(
    ...         struct.pack(">4I", 2051, 3, 28, 28) + images.tobytes())
    ...     _ = (folder / f"{split}-labels-idx1-ubyte.gz").write_bytes(
    ...         gzip.compress(struct.pack(">2I", 2049, 3) + bytes([5, 0, 9])))
    >>> X_train, y_train, X_test, y_test = load_mnist(folder)
    >>> X_train.shape, X_train.dtype, y_train
    ((3, 28, 28), dtype('uint8'), array([5, 0, 9]))
    >>> [FASHION_MNIST_CLASSES[label] for label in y_test]
    ['Sandal', 'T-shirt/top', 'Ankle boot']
    >>> tmp.cleanup()
    """
    if kind not in _KINDS:
        raise ValueError(f"kind={kind!r} must be one of {tuple(_KINDS)}")
    name, default = _KINDS[kind]
    expected = "the folder holding the four idx files " + ", ".join(f"{f}[.gz]" for f in _FILES)
    path = resolve_path(path, default, what=name, expected=expected)
    if not path.is_dir():
        raise ValueError(f"path={str(path)!r} is a file; {name} needs {expected}")
    return _load_mnist(path, name)


def _find(folder, stem, name):
    candidates = [stem, stem + ".gz"]
    dotted = stem.replace("-idx", ".idx")
    candidates += [dotted, dotted + ".gz"]
    for candidate in candidates:
        if (folder / candidate).is_file():
            return folder / candidate
    raise FileNotFoundError(
        f"{name}: {str(folder / (stem + '.gz'))!r} does not exist; expected {stem} or {stem}.gz "
        f"in {str(folder)!r}: set VEOB_DATA to the shared data folder or pass path=..."
    )


def _load_mnist(folder, name):
    out = []
    for split in ("train", "t10k"):
        images_path = _find(folder, f"{split}-images-idx3-ubyte", name)
        labels_path = _find(folder, f"{split}-labels-idx1-ubyte", name)
        images = _read_idx(images_path, _IMAGES_MAGIC)
        labels = _read_idx(labels_path, _LABELS_MAGIC)
        if len(images) != len(labels):
            raise ValueError(
                f"{str(images_path)!r} holds {len(images)} images but {str(labels_path)!r} holds "
                f"{len(labels)} labels; the two files of a split must have equal counts"
            )
        out += [images, labels.astype(np.int64)]
    return tuple(out)


def _read_idx(path, magic):
    """Read an idx file of uint8 data (optionally gzip-compressed) and check it.

    ``magic`` is the expected magic number (2051: 3-D images, 2049: 1-D
    labels); returns an array of the header's shape.
    """
    ndim = magic & 0xFF
    what = {_IMAGES_MAGIC: "images", _LABELS_MAGIC: "labels"}.get(magic, "data")
    try:
        compression = compression_of(path)
        with open_decompressed(path) as fh:
            header = fh.read(4 + 4 * ndim)
            if len(header) < 4 + 4 * ndim:
                raise corrupt(path, f"truncated idx file: {len(header)} bytes, shorter than "
                                    f"the {4 + 4 * ndim}-byte header of idx {what}")
            found = int.from_bytes(header[:4], "big")
            if found != magic:
                raise corrupt(path, f"magic number {found} (0x{found:08x}) is not {magic} "
                                    f"(0x{magic:08x}, idx {what} of uint8); is this the right file?")
            shape = tuple(int.from_bytes(header[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
            size = int(np.prod(shape, dtype=np.int64))
            if compression is None:
                actual = path.stat().st_size
                if actual != len(header) + size:
                    problem = "truncated" if actual < len(header) + size else "trailing data"
                    raise corrupt(path, f"the header announces {what} of shape {shape} "
                                        f"({len(header) + size} bytes in all) but the file has "
                                        f"{actual} bytes ({problem})")
            data = np.empty(size, dtype=np.uint8)
            view, done = memoryview(data), 0
            while done < size:
                got = fh.readinto(view[done:])
                if not got:
                    break
                done += got
            if done < size:
                raise corrupt(path, f"truncated idx file: the header announces {what} of shape "
                                    f"{shape} ({size} data bytes) but only {done} follow")
            if fh.read(1):
                raise corrupt(path, f"the header announces {what} of shape {shape} ({size} data "
                                    "bytes) but more data follows (trailing data)")
    except (EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise corrupt(path, f"cannot read the idx file ({exc}); the file is truncated or corrupt") from None
    return data.reshape(shape)
