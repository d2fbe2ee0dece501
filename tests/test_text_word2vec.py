"""WordVectors.save_word2vec_format / load_word2vec_format, against gensim."""

import numpy as np
import pytest

from veob.text import WordVectors


def _vectors(n=50, d=7, seed=0):
    rng = np.random.default_rng(seed)
    V = rng.standard_normal((n, d)).astype(np.float32)
    V[0, :3] = [1e-5, 1.5e-8, 3e20]  # values numpy prints in scientific notation
    V[1, 0] = -0.0
    words = [f"w{i}" for i in range(n - 3)] + ["naïve", "l'été", "x-y"]
    return WordVectors(words, V)


@pytest.mark.parametrize("binary", [False, True])
def test_round_trip(tmp_path, binary):
    wv = _vectors()
    path = wv.save_word2vec_format(tmp_path / "v.w2v", binary=binary)
    again = WordVectors.load_word2vec_format(path)  # format detected
    assert again.words.tolist() == wv.words.tolist()
    np.testing.assert_array_equal(again.vectors, wv.vectors)
    assert again.vectors.dtype == np.float32
    head = WordVectors.load_word2vec_format(path, binary=binary, limit=5)
    assert head.words.tolist() == wv.words.tolist()[:5]
    assert not list(tmp_path.glob("*.tmp-*"))


@pytest.mark.parametrize("binary", [False, True])
def test_byte_compatible_with_gensim(tmp_path, binary):
    gensim = pytest.importorskip("gensim")
    KeyedVectors = gensim.models.KeyedVectors
    wv = _vectors()
    ours = tmp_path / "veob.w2v"
    wv.save_word2vec_format(ours, binary=binary)
    kv = KeyedVectors.load_word2vec_format(str(ours), binary=binary)
    assert kv.index_to_key == wv.words.tolist()
    np.testing.assert_array_equal(kv.vectors, wv.vectors)
    # gensim writes the same bytes, and veob reads gensim's file
    theirs = tmp_path / "gensim.w2v"
    kv.save_word2vec_format(str(theirs), binary=binary)
    assert theirs.read_bytes() == ours.read_bytes()
    back = WordVectors.load_word2vec_format(theirs)
    np.testing.assert_array_equal(back.vectors, kv.vectors)


def test_reads_the_c_tool_binary_layout(tmp_path):
    """The original word2vec.c writes a newline after each binary vector."""
    wv = _vectors(n=5, d=3)
    path = tmp_path / "c.bin"
    with open(path, "wb") as fh:
        fh.write(b"5 3\n")
        for w, v in zip(wv.words, wv.vectors):
            fh.write(w.encode() + b" " + v.astype("<f4").tobytes() + b"\n")
    again = WordVectors.load_word2vec_format(path, binary=True)
    assert again.words.tolist() == wv.words.tolist()
    np.testing.assert_array_equal(again.vectors, wv.vectors)


@pytest.mark.parametrize("content, match", [
    ("hello\ncat 1 2\n", "line 1 is"),
    ("2 2\ncat 1 2\n", "ends at line 2"),
    ("2 2\ncat 1 2\ndog 1\n", "line 3 has 1 values after the word 'dog'"),
    ("2 2\ncat 1 2\ndog 1 abc\n", "line 3 .*not a number"),
    ("2 2\ncat 1 2\ndog 1 nan\n", "line 3 .*NaN or infinity"),
    ("0 2\n", "holds no word"),
    ("-1 2\n", "must be positive"),
])
def test_bad_text_files_name_the_line(tmp_path, content, match):
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises(ValueError, match=match):
        WordVectors.load_word2vec_format(path, binary=False)


def test_bad_binary_files_and_arguments(tmp_path):
    path = tmp_path / "bad.bin"
    path.write_bytes(b"3 2\n" + b"a " + np.ones(2, "<f4").tobytes() + b"b " + np.ones(1, "<f4").tobytes())
    with pytest.raises(ValueError, match="ends in record 2"):
        WordVectors.load_word2vec_format(path, binary=True)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        WordVectors.load_word2vec_format(tmp_path / "missing.txt")
    with pytest.raises(TypeError, match="binary='yes'"):
        WordVectors.load_word2vec_format(path, binary="yes")
    with pytest.raises(ValueError, match="limit=0"):
        WordVectors.load_word2vec_format(path, limit=0)
    with pytest.raises(ValueError, match="hold no whitespace"):
        WordVectors(["new york"], np.ones((1, 2))).save_word2vec_format(tmp_path / "x.txt")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        _vectors().save_word2vec_format(tmp_path / "no" / "such" / "v.txt")


def test_repeated_words_keep_the_first_vector(tmp_path):
    path = tmp_path / "dup.txt"
    path.write_text("3 2\ncat 1 2\ndog 3 4\ncat 5 6\n")
    with pytest.warns(UserWarning, match="1 repeated words"):
        wv = WordVectors.load_word2vec_format(path)
    assert wv.words.tolist() == ["cat", "dog"] and wv["cat"].tolist() == [1.0, 2.0]


def test_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "v.txt"
    path.write_text("old")
    wv = _vectors()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("veob.text._word2vec.os.replace", boom)
    with pytest.raises(OSError, match="disk full"):
        wv.save_word2vec_format(path, binary=True)
    assert path.read_text() == "old" and not list(tmp_path.glob("*.tmp-*"))
