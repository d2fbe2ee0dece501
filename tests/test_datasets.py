"""Tests of veob.datasets: synthetic fixtures for every loader and error path,
plus counts and shapes of the real files (``data_root``, skipped without VEOB_DATA)."""

import gzip
import io
import json
import struct
import subprocess
import sys
import tarfile

import numpy as np
import pytest

from veob._threads import effective_n_jobs
from veob.datasets import (
    FASHION_MNIST_CLASSES,
    DictionaryEntry,
    Meaning,
    load_dictionary,
    load_image_folder,
    load_imdb,
    load_mnist,
    load_pendigits,
)
from veob.datasets._base import iter_tar, natural_key

try:
    from PIL import Image
except ImportError:  # the image tests need the optional Pillow
    Image = None
needs_pillow = pytest.mark.skipif(Image is None, reason="Pillow is not installed: pip install 'veob[images]'")


def _tar(path, files, mode="w:gz", format=tarfile.PAX_FORMAT):
    """Write ``{name: bytes}`` (None = a directory) to a tar archive."""
    with tarfile.open(path, mode, format=format) as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return path


def _tree(root, files):
    """Write ``{relative name: bytes}`` under ``root``."""
    for name, data in files.items():
        file = root / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(data)
    return root


# ------------------------------------------------------------ tar reader

def _tar_members(path):
    with tarfile.open(path) as tf:
        return [(m.name, tf.extractfile(m).read()) for m in tf.getmembers() if m.isfile()]


@pytest.mark.parametrize("format", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_iter_tar_agrees_with_tarfile(tmp_path, format, mode):
    rng = np.random.default_rng(0)
    long_dir = "/".join(["deep"] * 30)  # 150 characters: ustar prefix, GNU 'L' or pax path
    files = {
        "top/": None,
        "top/a.txt": b"hello",
        "top/empty.bin": b"",
        f"top/{long_dir}/long_{'x' * 60}.txt": b"long name",
        "top/big.bin": rng.integers(0, 256, 2_500_000, dtype=np.uint8).tobytes(),  # > one 1 MiB chunk
        "top/exact.bin": b"z" * 1024,
    }
    if format == tarfile.PAX_FORMAT:
        files["top/caf\u00e9 \u00fcber.txt"] = "non-ASCII name".encode()
    path = tmp_path / "t.tar"
    # a pax archive with a global header ('g'); long link targets ('K' in GNU, pax linkpath)
    pax_headers = {"comment": "global header"} if format == tarfile.PAX_FORMAT else None
    with tarfile.open(path, mode, format=format, pax_headers=pax_headers) as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("top/link")
        link.type, link.linkname = tarfile.SYMTYPE, "a.txt"
        tf.addfile(link)
        if format != tarfile.USTAR_FORMAT:
            long_link = tarfile.TarInfo("top/long_link")
            long_link.type, long_link.linkname = tarfile.SYMTYPE, long_dir + "/target.txt"
            tf.addfile(long_link)
        info = tarfile.TarInfo("top/after_links.txt")
        info.size = 5
        tf.addfile(info, io.BytesIO(b"after"))
    expected = _tar_members(path)
    assert list(iter_tar(path)) == expected
    # select skips the data of unselected members
    selected = list(iter_tar(path, lambda name: name.endswith(".txt")))
    assert [n for n, _ in selected] == [n for n, _ in expected]
    assert all((d is None) != n.endswith(".txt") for n, d in selected)


def test_iter_tar_reads_concatenated_gzip_members(tmp_path):
    plain = _tar(tmp_path / "t.tar", {"a": b"1" * 3000, "b": b"2" * 5000}, mode="w")
    raw = plain.read_bytes()
    split = tmp_path / "split.tar.gz"
    split.write_bytes(gzip.compress(raw[:2048]) + gzip.compress(raw[2048:]))
    assert list(iter_tar(split)) == [("a", b"1" * 3000), ("b", b"2" * 5000)]


def test_iter_tar_errors(tmp_path):
    archive = _tar(tmp_path / "t.tar", {"a.txt": b"x" * 5000, "b.txt": b"y" * 10}, mode="w")
    raw = archive.read_bytes()
    cut = tmp_path / "cut.tar"
    cut.write_bytes(raw[:3000])
    with pytest.raises(ValueError, match=r"cut\.tar.*truncated tar archive \(member 'a\.txt'"):
        list(iter_tar(cut))
    cut_gz = tmp_path / "cut.tar.gz"
    cut_gz.write_bytes(gzip.compress(raw)[:-100])
    with pytest.raises(ValueError, match=r"cut\.tar\.gz.*truncated gzip stream"):
        list(iter_tar(cut_gz))
    bad_crc = bytearray(gzip.compress(raw))
    bad_crc[-8] ^= 0xFF  # the CRC-32 of the trailer: checked after the end-of-archive blocks
    (tmp_path / "crc.tar.gz").write_bytes(bytes(bad_crc))
    with pytest.raises(ValueError, match=r"crc\.tar\.gz'.*corrupt gzip data"):
        list(iter_tar(tmp_path / "crc.tar.gz"))
    garbage = tmp_path / "garbage.tar"
    garbage.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(ValueError, match=r"garbage\.tar.*not a tar archive"):
        list(iter_tar(garbage))
    short = tmp_path / "short.tar"
    short.write_bytes(b"not a tar")
    with pytest.raises(ValueError, match="not a tar archive"):
        list(iter_tar(short))
    empty = tmp_path / "empty.tar"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty file"):
        list(iter_tar(empty))
    bad_gzip = tmp_path / "bad.tar.gz"
    bad_gzip.write_bytes(b"\x1f\x8b\x08\x00" + b"\xff" * 100)
    with pytest.raises(ValueError, match="corrupt gzip data"):
        list(iter_tar(bad_gzip))


def test_natural_key_and_n_jobs():
    names = ["dog.1.jpg", "cat.10.jpg", "cat.2.jpg", "cat.02.jpg", "cat.1.jpg"]
    assert sorted(names, key=natural_key) == ["cat.1.jpg", "cat.02.jpg", "cat.2.jpg", "cat.10.jpg", "dog.1.jpg"]
    n_cpus = effective_n_jobs(None, numba_threads=False)
    assert n_cpus >= 1 and effective_n_jobs(-1, numba_threads=False) == n_cpus
    assert effective_n_jobs(3, numba_threads=False) == 3
    assert effective_n_jobs(-n_cpus - 5, numba_threads=False) == 1
    with pytest.raises(ValueError, match="n_jobs=0"):
        effective_n_jobs(0)
    with pytest.raises(TypeError, match="n_jobs=1.5"):
        effective_n_jobs(1.5)


def test_import_stays_light():
    code = "import sys, veob.datasets; print('PIL' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------ MNIST

def _idx(magic, shape, data):
    return struct.pack(f">{1 + len(shape)}I", magic, *shape) + np.asarray(data, np.uint8).tobytes()


def _mnist_folder(folder, *, compress=True, n_train=5, n_test=3, dotted=False, seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        X = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        y = rng.integers(0, 10, n).astype(np.uint8)
        arrays[split] = X, y
        for kind, raw in (("images-idx3", _idx(2051, X.shape, X)), ("labels-idx1", _idx(2049, y.shape, y))):
            name = f"{split}-{kind}-ubyte"
            if dotted:
                name = name.replace("-idx", ".idx")
            if compress:
                (folder / (name + ".gz")).write_bytes(gzip.compress(raw))
            else:
                (folder / name).write_bytes(raw)
    return arrays


@pytest.mark.parametrize("compress, dotted", [(True, False), (False, False), (False, True)])
def test_load_mnist_reads_idx_files(tmp_path, compress, dotted):
    arrays = _mnist_folder(tmp_path, compress=compress, dotted=dotted)
    X_train, y_train, X_test, y_test = load_mnist(str(tmp_path))
    assert X_train.dtype == np.uint8 and y_train.dtype == np.int64
    np.testing.assert_array_equal(X_train, arrays["train"][0])
    np.testing.assert_array_equal(y_train, arrays["train"][1])
    np.testing.assert_array_equal(X_test, arrays["t10k"][0])
    np.testing.assert_array_equal(y_test, arrays["t10k"][1])
    X_train[0, 0, 0] = 1  # writeable


def test_load_mnist_default_path_and_kind(tmp_path, monkeypatch):
    digits = _mnist_folder(tmp_path / "mnist", seed=1)
    fashion = _mnist_folder(tmp_path / "fashion_mnist", seed=2)
    monkeypatch.setenv("VEOB_DATA", str(tmp_path))
    np.testing.assert_array_equal(load_mnist()[0], digits["train"][0])
    np.testing.assert_array_equal(load_mnist(kind="fashion")[0], fashion["train"][0])
    assert len(FASHION_MNIST_CLASSES) == 10 and FASHION_MNIST_CLASSES[9] == "Ankle boot"
    with pytest.raises(ValueError, match=r"kind='letters' must be one of \('digits', 'fashion'\)"):
        load_mnist(kind="letters")


def test_load_mnist_errors(tmp_path, monkeypatch):
    _mnist_folder(tmp_path, compress=False)
    images = tmp_path / "train-images-idx3-ubyte"
    labels = tmp_path / "train-labels-idx1-ubyte"
    good_images, good_labels = images.read_bytes(), labels.read_bytes()

    images.write_bytes(good_images[:-10])  # truncated
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte'.*truncated"):
        load_mnist(tmp_path)
    images.write_bytes(good_images + b"\0")  # too long
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte'.*trailing data"):
        load_mnist(tmp_path)
    images.write_bytes(good_images[:10])  # shorter than the header
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte'.*shorter than the 16-byte header"):
        load_mnist(tmp_path)
    images.write_bytes(good_images)

    labels.write_bytes(struct.pack(">I", 2051) + good_labels[4:])  # wrong magic
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte'.*magic number 2051 .*is not 2049"):
        load_mnist(tmp_path)
    labels.write_bytes(_idx(2049, (4,), [1, 2, 3, 4]))  # 4 labels for 5 images
    with pytest.raises(ValueError, match=r"holds 5 images but .*train-labels-idx1-ubyte' holds 4 labels"):
        load_mnist(tmp_path)
    labels.unlink()
    with pytest.raises(FileNotFoundError, match=r"train-labels-idx1-ubyte\.gz' does not exist.*VEOB_DATA"):
        load_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(good_labels)[:-12])
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte\.gz'.*truncated or corrupt"):
        load_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(good_labels[:-2]))
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte\.gz'.*truncated idx file"):
        load_mnist(tmp_path)

    with pytest.raises(ValueError, match="is a file; MNIST needs the folder"):
        load_mnist(images)
    with pytest.raises(FileNotFoundError, match=r"MNIST: '.*nowhere' does not exist; expected the folder.*pass path="):
        load_mnist(tmp_path / "nowhere")
    with pytest.raises(TypeError, match="path=3 must be a str or an os.PathLike"):
        load_mnist(3)
    monkeypatch.delenv("VEOB_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match="no path given and VEOB_DATA is not set.*pass path="):
        load_mnist()


# ------------------------------------------------------------------- IMDB

_REVIEWS = {
    "train/pos/10_9.txt": "Great<br /><br />film. Caf\u00e9 \u2013 cr\u00e8me.",
    "train/pos/2_7.txt": "Good.",
    "train/neg/0_1.txt": "Bad.\n",
    "train/neg/1_4.txt": "  Meh  ",
    "train/unsup/3_0.txt": "Seen it.",
    "train/unsup/1_0.txt": "Nice \u00e9t\u00e9.",
    "test/pos/0_10.txt": "Wow.",
    "test/neg/5_3.txt": "Dull.",
    "test/neg/11_2.txt": "Awful.",
}
_EXTRA = {"README": b"readme", "imdb.vocab": b"the\nand\n", "train/urls_pos.txt": b"http://x\n"}


@pytest.fixture
def imdb_tree(tmp_path):
    files = {f"aclImdb/{k}": v.encode() for k, v in _REVIEWS.items()}
    files.update({f"aclImdb/{k}": v for k, v in _EXTRA.items()})
    _tree(tmp_path / "src", files)
    return tmp_path / "src", files


def test_load_imdb_order_and_fields(imdb_tree):
    root, _ = imdb_tree
    data = load_imdb(root / "aclImdb", subsets=("train", "test", "unsup"))
    assert list(data.files) == [
        "train/pos/2_7.txt", "train/pos/10_9.txt", "train/neg/0_1.txt", "train/neg/1_4.txt",
        "test/pos/0_10.txt", "test/neg/5_3.txt", "test/neg/11_2.txt",
        "train/unsup/1_0.txt", "train/unsup/3_0.txt",
    ]
    assert data.texts == [_REVIEWS[f] for f in data.files]  # exact text, no stripping
    assert data.labels.tolist() == [1, 1, 0, 0, 1, 0, 0, -1, -1]
    assert data.ratings.tolist() == [7, 9, 1, 4, 10, 3, 2, 0, 0]
    assert data.ids.tolist() == [2, 10, 0, 1, 0, 5, 11, 1, 3]
    assert data.subsets.tolist() == ["train"] * 4 + ["test"] * 3 + ["unsup"] * 2
    for key in ("labels", "ratings", "ids"):
        assert data[key].dtype == np.int64
    # subsets in the order given; a single string
    other = load_imdb(root, subsets=("unsup", "test"))
    assert other.files.tolist() == ["train/unsup/1_0.txt", "train/unsup/3_0.txt",
                                    "test/pos/0_10.txt", "test/neg/5_3.txt", "test/neg/11_2.txt"]
    assert load_imdb(root, subsets="test").files.tolist() == other.files[2:].tolist()


@pytest.mark.parametrize("mode, suffix", [("w:gz", ".tar.gz"), ("w", ".tar"), ("w:xz", ".tar.xz")])
def test_load_imdb_archive_equals_folder(imdb_tree, tmp_path, mode, suffix):
    root, files = imdb_tree
    archive = _tar(tmp_path / f"aclImdb{suffix}", dict(sorted(files.items(), reverse=True)), mode=mode)
    for subsets in [("train", "test"), ("unsup", "train", "test")]:
        a, b = load_imdb(archive, subsets=subsets), load_imdb(root, subsets=subsets)
        assert a.keys() == b.keys()
        assert a.texts == b.texts
        for key in ("labels", "ratings", "ids", "subsets", "files"):
            np.testing.assert_array_equal(a[key], b[key])


def test_load_imdb_default_path(imdb_tree, tmp_path, monkeypatch):
    _, files = imdb_tree
    (tmp_path / "data" / "imdb").mkdir(parents=True)
    _tar(tmp_path / "data" / "imdb" / "aclImdb.tar.gz", files)
    monkeypatch.setenv("VEOB_DATA", str(tmp_path / "data"))
    assert len(load_imdb().texts) == 7
    monkeypatch.setenv("VEOB_DATA", str(tmp_path / "elsewhere"))
    with pytest.raises(FileNotFoundError, match=r"imdb/aclImdb\.tar\.gz' does not exist.*set VEOB_DATA"):
        load_imdb()


def test_load_imdb_errors(imdb_tree, tmp_path):
    root, files = imdb_tree
    with pytest.raises(ValueError, match=r"'valid' is not one of \('train', 'test', 'unsup'\)"):
        load_imdb(root, subsets=("train", "valid"))
    with pytest.raises(ValueError, match="names a subset twice"):
        load_imdb(root, subsets=("train", "train"))
    with pytest.raises(ValueError, match="is empty"):
        load_imdb(root, subsets=())
    with pytest.raises(TypeError, match="subsets=3 must be"):
        load_imdb(root, subsets=3)
    with pytest.raises(FileNotFoundError, match="holds neither train/ nor test/"):
        load_imdb(tmp_path)
    # a subset missing from the folder / the archive
    partial = {k: v for k, v in files.items() if "/unsup/" not in k}
    _tree(tmp_path / "partial", partial)
    with pytest.raises(FileNotFoundError, match=r"folder '.*train/unsup' is missing"):
        load_imdb(tmp_path / "partial", subsets="unsup")
    archive = _tar(tmp_path / "partial.tar.gz", partial)
    with pytest.raises(ValueError, match=r"partial\.tar\.gz'.*no review of subset 'unsup'"):
        load_imdb(archive, subsets="unsup")
    # invalid UTF-8, a duplicated review, a truncated archive
    bad = dict(files, **{"aclImdb/test/neg/7_1.txt": b"caf\xe9"})
    with pytest.raises(ValueError, match=r"review 'test/neg/7_1\.txt' is not valid UTF-8"):
        load_imdb(_tar(tmp_path / "bad.tar.gz", bad))
    twice = dict(files, **{"copy/aclImdb/test/neg/5_3.txt": b"again"})
    with pytest.raises(ValueError, match=r"holds 'test/neg/5_3\.txt' twice"):
        load_imdb(_tar(tmp_path / "twice.tar.gz", twice))
    whole = _tar(tmp_path / "whole.tar.gz", files).read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValueError, match=r"cut\.tar\.gz'.*truncated"):
        load_imdb(tmp_path / "cut.tar.gz")


# ------------------------------------------------------------- dictionary

_DICTIONARY = {
    "A": {"MEANINGS": [["Noun", "the 1st letter of the Roman alphabet", ["Letter", "Alphabetic character"], []]],
          "ANTONYMS": [], "SYNONYMS": ["Ampere", "Type a"]},
    "A.D.": {"MEANINGS": [], "ANTONYMS": [], "SYNONYMS": ["A.d.", "Anno domini"]},
    "HAPPY": {"MEANINGS": [["Adjective", "enjoying or showing joy", [], ["a happy smile"]],
                           ["Adjective", "marked by good fortune", ["Fortunate"], []]],
              "ANTONYMS": ["Unhappy"], "SYNONYMS": ["Glad", "Felicitous"]},
    "ZZZ": {"MEANINGS": [], "ANTONYMS": [], "SYNONYMS": []},
}


def _check_dictionary(entries):
    assert [e.word for e in entries] == ["a", "a.d.", "happy", "zzz"]
    a, ad, happy, zzz = entries
    assert isinstance(a, DictionaryEntry) and isinstance(a.meanings[0], Meaning)
    assert a.synonyms == ["ampere", "type a"] and a.antonyms == []
    assert a.meanings == [("Noun", "the 1st letter of the Roman alphabet", ["letter", "alphabetic character"], [])]
    assert ad.synonyms == ["a.d.", "anno domini"] and ad.meanings == []
    assert happy.antonyms == ["unhappy"]
    assert happy.meanings[0].examples == ["a happy smile"]
    assert happy.meanings[1].part_of_speech == "Adjective" and happy.meanings[1].related_words == ["fortunate"]
    assert zzz == DictionaryEntry("zzz", [], [], [])


def test_load_dictionary_json_gzip_and_folder(tmp_path, monkeypatch):
    raw = json.dumps(_DICTIONARY).encode()
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "merged.json").write_bytes(raw)
    _check_dictionary(load_dictionary(tmp_path / "plain" / "merged.json"))
    _check_dictionary(load_dictionary(tmp_path / "plain"))
    folder = tmp_path / "simple_english_dictionary"
    folder.mkdir()
    (folder / "merged.json.gz").write_bytes(gzip.compress(raw))
    _check_dictionary(load_dictionary(str(folder / "merged.json.gz")))
    monkeypatch.setenv("VEOB_DATA", str(tmp_path))
    _check_dictionary(load_dictionary())


@pytest.mark.parametrize("content, message", [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "the JSON document is a list"),
    (json.dumps({"CAT": {"MEANINGS": [], "ANTONYMS": []}}).encode(), "entry 'CAT' does not have the expected layout"),
    (json.dumps({"CAT": {"MEANINGS": [["Noun", "x", []]], "ANTONYMS": [], "SYNONYMS": []}}).encode(),
     "entry 'CAT' does not have the expected layout"),
    (json.dumps({"CAT": {"MEANINGS": [["Noun", 3, [], []]], "ANTONYMS": [], "SYNONYMS": []}}).encode(),
     "entry 'CAT'"),
    (json.dumps({"CAT": {"MEANINGS": [], "ANTONYMS": [], "SYNONYMS": [1]}}).encode(), "entry 'CAT'"),
])
def test_load_dictionary_rejects_bad_layout(tmp_path, content, message):
    file = tmp_path / "merged.json"
    file.write_bytes(content)
    with pytest.raises(ValueError, match=rf"merged\.json'.*{message}"):
        load_dictionary(file)


def test_load_dictionary_missing_and_truncated(tmp_path):
    with pytest.raises(FileNotFoundError, match="holds neither merged.json.gz nor merged.json"):
        load_dictionary(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"'.*missing\.json' does not exist.*pass path="):
        load_dictionary(tmp_path / "missing.json")
    file = tmp_path / "merged.json.gz"
    file.write_bytes(gzip.compress(json.dumps(_DICTIONARY).encode())[:-20])
    with pytest.raises(ValueError, match=r"merged\.json\.gz'.*truncated or corrupt"):
        load_dictionary(file)


# -------------------------------------------------------------- pendigits

def _pendigits_text(rng, n):
    rows = np.column_stack([rng.integers(0, 101, (n, 16)), rng.integers(0, 10, n)])
    text = "".join(",".join(f"{v:3d}" for v in row) + "\n" for row in rows)
    return rows, text.encode()


def test_load_pendigits_archive_and_folder(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    train, train_text = _pendigits_text(rng, 7)
    test, test_text = _pendigits_text(rng, 4)
    folder = _tree(tmp_path / "folder", {"pendigits.tra": train_text, "pendigits.tes": test_text + b"\n"})
    (tmp_path / "pendigits").mkdir()
    archive = _tar(tmp_path / "pendigits" / "pendigits.tar.gz",
                   {"pendigits/": None, "pendigits/pendigits.tra": train_text, "pendigits/pendigits.tes": test_text})
    monkeypatch.setenv("VEOB_DATA", str(tmp_path))
    for result in (load_pendigits(folder), load_pendigits(archive), load_pendigits()):
        X_train, y_train, X_test, y_test = result
        assert X_train.dtype == np.float32 and X_train.shape == (7, 8, 2) and y_train.dtype == np.int64
        # (x, y) per point in writing order
        np.testing.assert_array_equal(X_train[:, :, 0], train[:, 0:16:2])
        np.testing.assert_array_equal(X_train[:, :, 1], train[:, 1:16:2])
        np.testing.assert_array_equal(y_train, train[:, 16])
        np.testing.assert_array_equal(X_test.reshape(4, 16), test[:, :16])
        np.testing.assert_array_equal(y_test, test[:, 16])


@pytest.mark.parametrize("line, message", [
    (b"1,2,3\n", "line 3: 3 comma-separated fields, expected 17"),
    (b"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,x\n", "line 3: not all fields are integers"),
    (b"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,101,3\n", "line 3: a coordinate is outside 0-100"),
    (b"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,10\n", "line 3: a digit is outside 0-9"),
    (b"\xff\n", "not a text file"),
])
def test_load_pendigits_malformed_line(tmp_path, line, message):
    good = b"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,7\n"
    content = good + b"\n" + line + good  # the blank line 2 is skipped but counted
    _tree(tmp_path, {"pendigits.tra": content, "pendigits.tes": good})
    with pytest.raises(ValueError, match=rf"pendigits\.tra': {message}"):
        load_pendigits(tmp_path)
    archive = _tar(tmp_path / "p.tar.gz", {"p/pendigits.tra": content, "p/pendigits.tes": good})
    with pytest.raises(ValueError, match=rf"p\.tar\.gz:p/pendigits\.tra': {message}"):
        load_pendigits(archive)


def test_load_pendigits_missing_files(tmp_path):
    good = b"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,7\n"
    _tree(tmp_path / "f", {"pendigits.tra": good})
    with pytest.raises(FileNotFoundError, match=r"pendigits\.tes' does not exist"):
        load_pendigits(tmp_path / "f")
    archive = _tar(tmp_path / "p.tar.gz", {"pendigits/pendigits.tra": good})
    with pytest.raises(ValueError, match="the archive holds no pendigits.tes"):
        load_pendigits(archive)
    _tree(tmp_path / "e", {"pendigits.tra": b"\n", "pendigits.tes": good})
    with pytest.raises(ValueError, match=r"pendigits\.tra': no data"):
        load_pendigits(tmp_path / "e")


# ---------------------------------------------------------- image folders

def _png(pixels, mode=None):
    buf = io.BytesIO()
    image = Image.fromarray(pixels)
    if mode is not None:
        image = image.convert(mode)
    image.save(buf, format="PNG")
    return buf.getvalue()


def _jpeg(pixels, mode="RGB", quality=95):
    buf = io.BytesIO()
    Image.fromarray(pixels).convert(mode).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def _decode_reference(data, size):
    """Full decode, RGB, bilinear resize: what the loader must match without draft."""
    with Image.open(io.BytesIO(data)) as image:
        image = image.convert("RGB")
        if image.size != (size[1], size[0]):
            image = image.resize((size[1], size[0]), Image.BILINEAR)
        return np.asarray(image)


@pytest.fixture
def images():
    if Image is None:
        pytest.skip("Pillow is not installed")
    rng = np.random.default_rng(0)
    pix = [rng.integers(0, 256, (24, 20, 3), dtype=np.uint8) for _ in range(8)]
    return {
        "cat.10.png": _png(pix[0]),
        "cat.2.png": _png(pix[1], "L"),          # grey
        "cat.1.jpg": _jpeg(pix[2]),
        "Dog.3.png": _png(pix[3], "RGBA"),       # alpha, capitalised prefix
        "dog.1.png": _png(pix[4], "P"),          # palette
        "dog.20.jpeg": _jpeg(pix[5], "CMYK"),    # CMYK JPEG
        "dog.4.png": _png(rng.integers(0, 256, (30, 50, 3), dtype=np.uint8)),  # other size
        "bird.1.png": _png(pix[6]),              # no known prefix
    }


@needs_pillow
def test_load_image_folder_flat(tmp_path, images):
    folder = _tree(tmp_path / "train", dict(images, **{"notes.txt": b"x", ".DS_Store": b"x", "._cat.1.jpg": b"x"}))
    X, y, filenames = load_image_folder(folder, size=(24, 20))
    assert filenames == ["bird.1.png", "cat.1.jpg", "cat.2.png", "cat.10.png",
                         "dog.1.png", "Dog.3.png", "dog.4.png", "dog.20.jpeg"]
    assert y.dtype == np.int64 and y.tolist() == [-1, 0, 0, 0, 1, 1, 1, 1]
    assert X.dtype == np.uint8 and X.shape == (8, 24, 20, 3)
    for i, name in enumerate(filenames):
        np.testing.assert_array_equal(X[i], _decode_reference(images[name], (24, 20)), err_msg=name)
    grey = X[filenames.index("cat.2.png")]
    assert (grey[..., 0] == grey[..., 1]).all() and (grey[..., 1] == grey[..., 2]).all()
    # the parent folder gives the same images (the shared train/ folder is skipped for labels)
    X2, y2, filenames2 = load_image_folder(tmp_path, size=(24, 20), n_jobs=1)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)
    assert filenames2 == ["train/" + f for f in filenames]


@needs_pillow
def test_load_image_folder_resizes_and_drafts(tmp_path):
    i, j = np.mgrid[0:256, 0:256] / 256
    smooth = np.stack([128 + 100 * np.sin(2 * np.pi * (i + c * j)) for c in (0.5, 1, 2)], axis=-1).astype(np.uint8)
    files = {"a.png": _png(smooth), "b.jpg": _jpeg(smooth)}
    _tree(tmp_path, files)
    X, y, names = load_image_folder(tmp_path, size=32)
    assert X.shape == (2, 32, 32, 3) and y.tolist() == [-1, -1]
    np.testing.assert_array_equal(X[0], _decode_reference(files["a.png"], (32, 32)))
    # the JPEG is decoded at 1/4 scale (draft) then resized: close to the full decode
    diff = np.abs(X[1].astype(int) - _decode_reference(files["b.jpg"], (32, 32)).astype(int))
    assert diff.mean() < 3


@needs_pillow
def test_load_image_folder_class_subfolders_and_archives(tmp_path, images):
    names = sorted(images)
    layout = {"data/zebras/" + n: images[n] for n in names[:3]}
    layout.update({"data/ants/" + n: images[n] for n in names[3:6]})
    layout.update({"data/bees/deeper/" + n: images[n] for n in names[6:]})
    _tree(tmp_path / "folder", layout)
    X, y, filenames = load_image_folder(tmp_path / "folder", size=(12, 10))
    assert y.tolist() == [0, 0, 0, 1, 1, 2, 2, 2]  # ants, bees, zebras (sorted)
    assert filenames[:3] == ["data/ants/" + n for n in sorted(names[3:6], key=natural_key)]
    assert filenames[3:5] == ["data/bees/deeper/" + n for n in sorted(names[6:], key=natural_key)]
    for mode, suffix in [("w:gz", ".tar.gz"), ("w", ".tar")]:
        archive = _tar(tmp_path / f"images{suffix}", dict(reversed(list(layout.items()))), mode=mode)
        Xa, ya, fa = load_image_folder(archive, size=(12, 10), n_jobs=2)
        np.testing.assert_array_equal(Xa, X)
        np.testing.assert_array_equal(ya, y)
        assert fa == filenames
        Xl, yl, fl = load_image_folder(archive, size=(12, 10), limit=4)
        np.testing.assert_array_equal(Xl, X[:4])
        assert yl.tolist() == y[:4].tolist() and fl == filenames[:4]


@needs_pillow
def test_load_image_folder_unlabelled_and_limit(tmp_path, images):
    test1 = {f"test1/{i}.png": images["cat.10.png"] for i in (1, 10, 2)}
    _tree(tmp_path, test1)
    X, y, filenames = load_image_folder(tmp_path, size=(24, 20), limit=2)
    assert filenames == ["test1/1.png", "test1/2.png"] and y.tolist() == [-1, -1]
    assert X.shape == (2, 24, 20, 3)


@needs_pillow
def test_load_image_folder_bad_images(tmp_path, images):
    files = dict(images)
    files["cat.5.jpg"] = images["cat.1.jpg"][: len(images["cat.1.jpg"]) // 2]  # truncated JPEG
    files["dog.7.png"] = b"not an image at all"
    folder = _tree(tmp_path / "f", files)
    archive = _tar(tmp_path / "a.tar.gz", files)
    reference, _, _ = load_image_folder(_tree(tmp_path / "ok", images), size=(24, 20))
    for path in (folder, archive):
        with pytest.raises(ValueError, match=r"2 of 10 images cannot be decoded: 'cat\.5\.jpg' "
                                             r".*'dog\.7\.png'.*on_error='skip'"):
            load_image_folder(path, size=(24, 20))
        with pytest.warns(RuntimeWarning, match=r"2 of 10 images cannot be decoded: 'cat\.5\.jpg'.*left out"):
            X, y, filenames = load_image_folder(path, size=(24, 20), on_error="skip")
        assert "cat.5.jpg" not in filenames and "dog.7.png" not in filenames and len(filenames) == 8
        assert X.shape[0] == len(y) == 8
        np.testing.assert_array_equal(X, reference)


@needs_pillow
def test_load_image_folder_many_bad_images_message(tmp_path):
    _tree(tmp_path, {f"cat.{i}.png": b"junk" for i in range(8)})
    with pytest.raises(ValueError, match=r"8 of 8 images cannot be decoded: 'cat\.0\.png'.* and 3 more"):
        load_image_folder(tmp_path)


@needs_pillow
def test_load_image_folder_errors(tmp_path, images):
    _tree(tmp_path / "f", images)
    for kwargs, exc, message in [
        ({"size": 0}, ValueError, "height and width must be >= 1"),
        ({"size": (3, 4, 5)}, TypeError, r"size=\(3, 4, 5\) must be an int or a \(height, width\) pair"),
        ({"size": (3.0, 4)}, TypeError, "size="),
        ({"n_jobs": 0}, ValueError, "n_jobs=0"),
        ({"limit": 0}, ValueError, "limit=0 must be >= 1"),
        ({"limit": 2.5}, TypeError, "limit=2.5 must be None or an integer"),
        ({"on_error": "ignore"}, ValueError, r"on_error='ignore' must be one of \('raise', 'skip'\)"),
    ]:
        with pytest.raises(exc, match=message):
            load_image_folder(tmp_path / "f", **kwargs)
    with pytest.raises(FileNotFoundError, match=r"'.*missing' does not exist; expected a folder of images.*pass path="):
        load_image_folder(tmp_path / "missing")
    with pytest.raises(TypeError, match="path=None must be a str or an os.PathLike"):
        load_image_folder(None)
    _tree(tmp_path / "empty", {"readme.txt": b"x"})
    with pytest.raises(ValueError, match="no image found"):
        load_image_folder(tmp_path / "empty")
    _tree(tmp_path / "mixed", {"a.png": images["cat.2.png"], "sub/b.png": images["cat.2.png"]})
    with pytest.raises(ValueError, match=r"images both at the top \('a\.png'\) and in sub-folders \('sub/b\.png'\)"):
        load_image_folder(tmp_path / "mixed")
    twice = tmp_path / "twice.tar"
    with tarfile.open(twice, "w") as tf:
        for _ in range(2):
            info = tarfile.TarInfo("x/cat.1.png")
            info.size = len(images["cat.2.png"])
            tf.addfile(info, io.BytesIO(images["cat.2.png"]))
    with pytest.raises(ValueError, match=r"holds 'x/cat\.1\.png' twice"):
        load_image_folder(twice)


def test_load_image_folder_without_pillow(tmp_path, monkeypatch):
    _tree(tmp_path, {"cat.1.png": b"whatever"})
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"load_image_folder needs pillow: pip install 'veob\[images\]'"):
        load_image_folder(tmp_path)


# -------------------------------------------------------------- real data

def test_real_mnist(data_root):
    X_train, y_train, X_test, y_test = load_mnist(data_root / "mnist")
    assert X_train.shape == (60000, 28, 28) and X_test.shape == (10000, 28, 28)
    assert X_train.dtype == np.uint8 and y_train.dtype == np.int64
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(y_test, minlength=10).sum() == 10000 and X_train.max() == 255 and X_train[:, 0, 0].max() == 0
    Xf_train, yf_train, Xf_test, yf_test = load_mnist(data_root / "fashion_mnist", kind="fashion")
    assert Xf_train.shape == (60000, 28, 28) and Xf_test.shape == (10000, 28, 28)
    assert np.bincount(yf_train).tolist() == [6000] * 10
    assert np.bincount(yf_test).tolist() == [1000] * 10


def test_real_imdb(data_root):
    data = load_imdb(data_root / "imdb" / "aclImdb.tar.gz", subsets=("train", "test", "unsup"))
    assert len(data.texts) == len(data.files) == 100_000
    for subset, label, count in [("train", 1, 12500), ("train", 0, 12500), ("test", 1, 12500),
                                 ("test", 0, 12500), ("unsup", -1, 50000)]:
        assert np.sum((data.subsets == subset) & (data.labels == label)) == count
    pos, neg, unsup = data.labels == 1, data.labels == 0, data.labels == -1
    assert data.ratings[pos].min() >= 7 and data.ratings[neg].max() <= 4 and (data.ratings[unsup] == 0).all()
    assert data.files[0] == "train/pos/0_9.txt" and data.texts[0].startswith("Bromwell High is a cartoon comedy.")
    assert data.files[12500] == "train/neg/0_3.txt" and data.files[-1] == "train/unsup/49999_0.txt"
    assert sum("<br />" in t for t in data.texts) > 50_000


def test_real_dictionary(data_root):
    entries = load_dictionary(data_root / "simple_english_dictionary" / "merged.json.gz")
    assert len(entries) == 121_340
    assert sum(len(e.synonyms) for e in entries) == 351_012
    assert sum(len(e.antonyms) for e in entries) == 18_810
    assert sum(len(e.meanings) for e in entries) == 77_738
    assert sum(bool(e.meanings) for e in entries) == 54_103
    # the paper's one-hot widths (section 6.4): synonyms with the headwords, antonyms
    words = {e.word for e in entries}
    assert len(words | {s for e in entries for s in e.synonyms}) == 147_202
    assert len({a for e in entries for a in e.antonyms}) == 6_199
    assert all(e.word == e.word.lower() for e in entries)
    assert {m.part_of_speech for e in entries for m in e.meanings} == {"Noun", "Adjective", "Verb", "Adverb"}


def test_real_pendigits(data_root):
    X_train, y_train, X_test, y_test = load_pendigits(data_root / "pendigits" / "pendigits.tar.gz")
    assert X_train.shape == (7494, 8, 2) and X_test.shape == (3498, 8, 2) and X_train.dtype == np.float32
    assert np.bincount(y_train).tolist() == [780, 779, 780, 719, 780, 720, 720, 778, 719, 719]
    assert np.bincount(y_test).tolist() == [363, 364, 364, 336, 364, 335, 336, 364, 336, 336]
    assert X_train.min() == 0 and X_train.max() == 100
    # first line of pendigits.tra: " 47,100, 27, 81, 57, 37, 26,  0,  0, 23, 56, 53,100, 90, 40, 98,  8"
    np.testing.assert_array_equal(X_train[0, :2], [[47, 100], [27, 81]])


@needs_pillow
def test_real_cats_vs_dogs(data_root):
    X, y, filenames = load_image_folder(data_root / "cats_vs_dogs" / "train_128.tar.gz", limit=300)
    assert X.shape == (300, 128, 128, 3) and X.dtype == np.uint8
    assert filenames == [f"train/cat.{i}.jpg" for i in range(300)]  # natural order, cats first
    assert (y == 0).all()
    assert X.std() > 20  # real pictures, not blank
