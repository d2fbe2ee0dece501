"""veob.text.TextEncoder: the byte scanner, the pooling kernels, the estimator, encode, save/load."""

import json

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from veob.text import TextEncoder, WordVectors, _encoder_kernels, _reference
from veob.text import _scan_kernels as K
from veob.text._scan import TokenTable, scan_corpus, scan_tokens, texts_buffer

ANIMALS = ["cat", "dog", "fox", "cow", "hen"]
VEHICLES = ["car", "bus", "van", "truck", "train"]


def _corpus(n=400, seed=0):
    """Sentences about animals or vehicles, with shared function words."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        if rng.random() < 0.5:
            out.append(f"The {rng.choice(ANIMALS)} {rng.choice(['ran', 'sat', 'slept', 'ate'])} in the "
                       f"{rng.choice(['field', 'barn', 'yard'])}.")
        else:
            out.append(f"A red {rng.choice(VEHICLES)} {rng.choice(['stopped', 'drove', 'parked'])} on the "
                       f"{rng.choice(['road', 'street', 'bridge'])}!")
    return out


@pytest.fixture(scope="module")
def encoder():
    return TextEncoder(word_dim=6, progress=False, random_state=0).fit(_corpus())


# ------------------------------------------------------------ tokenizer and kernels

TRICKY = ["I don't like it.<br /><br />It's GREAT!!! Can't, won't; they're here... o'clock",
          "rock\u2019n\u2019roll students' \u201cQuoted\u201d Am\u00e9lie\u2019s caf\u00e9 \u2014 end\u2026 Next",
          "", "   ", "a", "10/10 :-) $5.99 e-mail 1,000,000 3.",
          "isn't wasn't couldn't I'm we'd you've we'll y'all 'cause n't 't",
          "<b>bold</b> <not a tag <a href='x'>link</a>", "\x00\x01 control\tbytes\n\xa0nbsp"]


def test_scanner_rules():
    assert scan_tokens(TRICKY[0]) == ["i", "do", "not", "like", "it", ".", "it", "'s", "great", "!", "!", "!",
                                      "can", "not", ",", "will", "not", ";", "they", "are", "here", ".", ".", ".",
                                      "o'clock"]
    assert scan_tokens(TRICKY[5]) == ["10", "/", "10", ":", "-", ")", "$", "5.99", "e", "-", "mail", "1,000,000",
                                      "3", "."]
    assert scan_tokens(TRICKY[1])[:6] == ["rock\u2019n\u2019roll", "students", "'", "quoted", "am\u00e9lie", "'s"]
    assert scan_tokens("") == [] and scan_tokens("   ") == []
    assert "b" not in scan_tokens(TRICKY[7]) and "href" not in scan_tokens(TRICKY[7])


@pytest.mark.parametrize("text", TRICKY)
def test_scanner_matches_its_python_twin(text):
    buf, starts, ends = texts_buffer([text])
    width = int(ends[0] - starts[0]) + 1
    hs = np.empty(width, np.uint64)
    st, ln, kd, sb = (np.empty(width, np.int64) for _ in range(4))
    n = K.scan_text(buf, starts[0], ends[0], hs, st, ln, kd, sb)
    tokens, starts_sentence = _reference.scan_text(text)
    assert scan_tokens(text) == tokens
    assert [bool(x) for x in sb[:n]] == starts_sentence


def test_scan_corpus_streams_and_grows_its_table():
    texts = [f"word{i} and word{i + 1}. next sentence {i % 7}!" for i in range(70000)]  # > 65,536 types
    corpus = scan_corpus(iter(texts))  # a generator, read once
    assert corpus.n_texts == 70000 and corpus.n_sentences == 140000
    assert corpus.words.shape[0] == 70001 + 5 + 7  # word0..word70000, and, next, sentence, '.', '!', digits
    assert corpus.sentence(0) == ["word0", "and", "word1", "."] and corpus.sentence(1) == ["next", "sentence", "0",
                                                                                          "!"]
    assert corpus.sources[:4].tolist() == [0, 0, 1, 1]
    cut = scan_corpus(["a b c d e f g"], max_tokens=3)
    assert cut.sentences == [["a", "b", "c"], ["d", "e", "f"], ["g"]]
    with pytest.raises(TypeError, match=r"texts\[1\] is int"):
        scan_corpus(["ok", 3])


def test_token_table_lookup():
    table = TokenTable(["the", "cat", "not", "'s", "café"])
    ids, offsets = table.lookup(["The CAT isn't here", "", "it's a Café", "zzz"], max_tokens=None)
    assert offsets.tolist() == [0, 3, 3, 5, 5]
    assert ids.tolist() == [0, 1, 2, 3, 4]
    ids, offsets = table.lookup(["the cat the cat"], max_tokens=3)
    assert ids.tolist() == [0, 1, 0]


@pytest.mark.parametrize("n_freqs", [1, 3])
def test_pooling_kernels_match_their_twins(n_freqs):
    rng = np.random.default_rng(n_freqs)
    lengths = rng.integers(0, 9, 40)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    ids = rng.integers(0, 12, offsets[-1]).astype(np.int64)
    weights = rng.random(12).astype(np.float32)
    table = rng.standard_normal((12, 5)).astype(np.float32)
    out = np.empty((40, n_freqs * 5), np.float32)
    _encoder_kernels.pool_ids(ids, offsets, weights, table, n_freqs, np.float32(0.5), out)
    np.testing.assert_allclose(out, _reference.pool_ids(ids, offsets, weights, table, n_freqs, 0.5), atol=1e-5)
    assert np.all(out[lengths == 0] == 0)
    folded = rng.standard_normal((12, n_freqs, 4)).astype(np.float32)
    out2 = np.empty((40, 4), np.float32)
    _encoder_kernels.pool_table(ids, offsets, folded, np.float32(0.5), out2)
    np.testing.assert_allclose(out2, _reference.pool_table(ids, offsets, folded, 0.5), atol=1e-5)


# ------------------------------------------------------------ the estimator

def test_groups_and_the_folded_projection(encoder):
    sims = encoder.similarity(["the cat sat", "a red bus"], ["the dog slept", "a red truck parked"])
    assert sims[0, 0] > sims[0, 1] and sims[1, 1] > sims[1, 0]
    # encode == the documented formula: weighted mean of the word vectors, then the scaled basis
    texts = ["the cat ran in the field", "a red van"]
    table = TokenTable(encoder.word_vectors_.words.tolist())
    ids, offsets = table.lookup(texts)
    x = _reference.pool_ids(ids, offsets, encoder.word_weights_, encoder.word_vectors_.vectors, 1, 0.5)
    s = encoder.singular_values_
    y = x @ (encoder.components_.T * s ** (encoder.settings_["eig_power"] - 1))
    np.testing.assert_allclose(encoder.encode(texts), y, rtol=1e-4, atol=1e-6)


def test_encode_conventions(encoder):
    k = encoder.components_.shape[0]
    one = encoder.encode("the cat sat")
    assert one.shape == (k,) and one.dtype == np.float32
    many = encoder.encode(["the cat sat", "", "zzz qqq", "!!!" * 0, "the red car"])
    assert many.shape == (5, k) and np.isfinite(many).all()
    assert np.all(many[1] == 0) and np.all(many[2] == 0)  # empty / no known word: the zero vector
    unit = encoder.encode(["the cat sat", "", "the red car"], normalize_embeddings=True)
    assert np.allclose(np.linalg.norm(unit[[0, 2]], axis=1), 1.0) and np.all(unit[1] == 0)
    listed = encoder.encode(["the cat sat", "a bus"], convert_to_numpy=False)
    assert isinstance(listed, list) and len(listed) == 2 and listed[0].shape == (k,)
    texts = _corpus(500, seed=3)
    ref = encoder.encode(texts)
    for batch_size in (1, 7, 1000):
        np.testing.assert_array_equal(encoder.encode(texts, batch_size=batch_size), ref)
    np.testing.assert_array_equal(encoder.transform(texts), ref)
    np.testing.assert_array_equal(encoder.encode(iter(texts)), ref)
    sims = encoder.similarity(["", "the cat"], ["the cat", ""])
    assert np.isfinite(sims).all() and sims[0, 0] == 0 and sims[1, 1] == 0
    assert encoder.similarity(many[:2], ["the cat sat"]).shape == (2, 1)


def test_long_documents_are_pooled_whole_or_cut(encoder):
    doc = " ".join(_corpus(300, seed=5))  # one document of ~2,400 tokens
    sentences = _corpus(300, seed=5)
    ids, offsets = TokenTable(encoder.word_vectors_.words.tolist()).lookup([doc])
    assert offsets[-1] > 2000
    whole = encoder.encode(doc)
    assert np.isfinite(whole).all() and np.linalg.norm(whole) > 0
    # the document vector is the token-weighted mean of its sentences' vectors (n_freqs=1: linear pooling)
    _, sent_offsets = TokenTable(encoder.word_vectors_.words.tolist()).lookup(sentences)
    lengths = np.diff(sent_offsets).astype(np.float64)
    mean = (encoder.encode(sentences) * lengths[:, None]).sum(axis=0) / lengths.sum()
    np.testing.assert_allclose(whole, mean, rtol=1e-3, atol=1e-5)
    cut = clone(encoder).set_params(max_tokens=10).fit(_corpus())
    np.testing.assert_allclose(cut.encode(doc), cut.encode(" ".join(doc.split()[:9])), atol=1e-6)


def test_bad_input_names_the_position(encoder):
    with pytest.raises(TypeError, match=r"texts\[2\] is int"):
        encoder.encode(["a", "b", 3])
    with pytest.raises(TypeError, match=r"texts\[0\] is bytes"):
        encoder.encode([b"raw"])
    with pytest.raises(TypeError, match="iterable of str"):
        encoder.encode(5)
    with pytest.raises(ValueError, match="batch_size=0"):
        encoder.encode(["a"], batch_size=0)
    with pytest.raises(TypeError, match="not a single str"):
        TextEncoder(progress=False).fit("one text")
    with pytest.raises(ValueError, match="hold no token"):
        TextEncoder(progress=False).fit(["", "   "])
    with pytest.raises(TypeError, match=r"texts\[1\] is NoneType"):
        TextEncoder(progress=False).fit(["a b", None])
    with pytest.raises(ValueError, match="word_dim=0"):
        TextEncoder(word_dim=0).fit(_corpus())
    with pytest.raises(TypeError, match="retrofit_weights"):
        TextEncoder(retrofit_weights=1.0).fit(_corpus())
    with pytest.raises(NotFittedError):
        TextEncoder().encode(["a"])


def test_estimator_contract(encoder):
    params = encoder.get_params()
    assert params["word_dim"] == 6 and "dictionary" in params
    again = clone(encoder).fit(_corpus())
    np.testing.assert_array_equal(again.encode(_corpus(50, 1)), encoder.encode(_corpus(50, 1)))  # same seed
    np.testing.assert_array_equal(clone(encoder).fit_transform(_corpus()), encoder.transform(_corpus()))
    info = encoder.fit_info_
    assert info["n_texts"] == 400 and info["n_sentences"] == 400 and info["n_tokens"] > 2000
    assert set(info["seconds"]) >= {"tokenize", "word_vectors", "sentence_model"}


def test_options_blocks_components_and_given_vectors():
    texts = _corpus()
    two = TextEncoder(word_dim=6, n_freqs=2, n_components=5, remove_components=1, progress=False,
                      random_state=0).fit(texts)
    assert two.encode(["the cat ran"]).shape == (1, 5) and two.table_.shape[1:] == (2, 5)
    a, b = two.encode(["the cat ran in the field", "field the in ran cat the"])
    assert not np.allclose(a, b)  # the second block sees word order
    one = TextEncoder(word_dim=6, progress=False, random_state=0).fit(texts)
    a, b = one.encode(["the cat ran in the field", "field the in ran cat the"])
    np.testing.assert_allclose(a, b, atol=1e-6)  # the mean alone does not
    rng = np.random.default_rng(0)
    wv = WordVectors(["cat", "dog", "car", "bus", "the", "zebra"], rng.standard_normal((6, 4)))
    given = TextEncoder.from_word_vectors(wv, progress=False).fit(texts)
    assert given.word_vectors_.words.tolist() == wv.words.tolist()
    np.testing.assert_allclose(given.word_vectors_.vectors, wv.vectors, rtol=1e-6)
    assert given.word_counts_[given.word_vectors_.index("zebra")] == 0
    assert given.word_weights_[given.word_vectors_.index("zebra")] == pytest.approx(1.0)
    assert given.word_weights_[given.word_vectors_.index("the")] < 0.5
    with pytest.raises(TypeError, match="WordVectors"):
        TextEncoder.from_word_vectors(np.eye(3))


def test_dictionary_expands_and_refines():
    texts = _corpus()
    entries = [("cat", ["feline", "kitty"], ["dog"]), ("car", ["automobile"], []), ("zzz", ["qqq"], [])]
    enc = TextEncoder(word_dim=6, dictionary=entries, progress=False, random_state=0).fit(texts)
    words = enc.word_vectors_.words.tolist()
    assert {"feline", "kitty", "automobile"} <= set(words) and "qqq" not in words
    assert enc.similarity(["a kitty"], ["the cat"])[0, 0] > 0.9  # a new word takes its synonym's place
    plain = TextEncoder(word_dim=6, progress=False, random_state=0).fit(texts)
    assert enc.similarity(["cat"], ["dog"])[0, 0] < plain.similarity(["cat"], ["dog"])[0, 0]


def test_progress_bars(capsys):
    pytest.importorskip("tqdm")
    TextEncoder(word_dim=4, progress=True, random_state=0).fit(_corpus())
    err = capsys.readouterr().err
    assert "TextEncoder: tokenize" in err and "ContextEmbedder" in err


# ------------------------------------------------------------ save / load

def test_save_load_round_trip_is_bit_identical(encoder, tmp_path):
    folder = encoder.save(tmp_path / "model", metadata={"sts_dev": 0.5})
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "model.safetensors",
                                                         "vocab.json"]
    config = json.loads((folder / "config.json").read_text())
    assert config["format_version"] == 1 and config["fingerprint"] == encoder.fingerprint()
    assert "sts_dev: 0.5" in (folder / "README.md").read_text()
    again = TextEncoder.load(folder)
    texts = _corpus(200, seed=9) + ["", "zzz"]
    np.testing.assert_array_equal(again.encode(texts), encoder.encode(texts))
    assert again.get_params()["word_dim"] == 6 and again.fingerprint() == encoder.fingerprint()
    # saving again replaces the folder atomically
    encoder.save(folder)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".model")]
    with pytest.raises(FileExistsError, match="not a TextEncoder folder"):
        (tmp_path / "other").mkdir()
        (tmp_path / "other" / "x.txt").write_text("x")
        encoder.save(tmp_path / "other")


def test_npz_fallback_without_safetensors(encoder, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    folder = encoder.save(tmp_path / "model")
    assert (folder / "model.npz").is_file() and not (folder / "model.safetensors").exists()
    np.testing.assert_array_equal(TextEncoder.load(folder).encode(["the cat"]), encoder.encode(["the cat"]))


def test_load_refuses_changed_or_broken_folders(encoder, tmp_path):
    folder = encoder.save(tmp_path / "model")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        TextEncoder.load(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="is a file"):
        TextEncoder.load(folder / "vocab.json")
    from safetensors.numpy import load_file, save_file

    arrays = load_file(str(folder / "model.safetensors"))
    arrays["table"] = arrays["table"] * np.float32(1.001)
    save_file(arrays, str(folder / "model.safetensors"))
    with pytest.raises(ValueError, match="do not match the fingerprint"):
        TextEncoder.load(folder)
    arrays["table"][0, 0, 0] = np.nan
    save_file(arrays, str(folder / "model.safetensors"))
    with pytest.raises(ValueError, match="'table' holds NaN"):
        TextEncoder.load(folder)
    (folder / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="cannot be read"):
        TextEncoder.load(folder)
    folder = encoder.save(tmp_path / "model")
    config = json.loads((folder / "config.json").read_text())
    config["params"]["word_dim"] = "abc"
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="word_dim='abc'"):
        TextEncoder.load(folder)
    config["format_version"] = 99
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="upgrade veob"):
        TextEncoder.load(folder)
    (folder / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        TextEncoder.load(folder)
    (folder / "config.json").unlink()
    with pytest.raises(ValueError, match="no config.json"):
        TextEncoder.load(folder)


# ------------------------------------------------------------ real data

def test_real_reviews_and_sts(data_root):
    from scipy.stats import spearmanr

    from veob.datasets import load_imdb, load_sts

    texts = load_imdb(data_root / "imdb" / "aclImdb.tar.gz", subsets="test").texts[:3000]
    enc = TextEncoder(word_dim=100, progress=False, random_state=0).fit(texts)
    a, b, scores = load_sts("dev", data_root / "dev_eval")
    sims = np.sum(enc.encode(a, normalize_embeddings=True) * enc.encode(b, normalize_embeddings=True), axis=1)
    assert np.isfinite(sims).all()
    assert spearmanr(sims, scores)[0] > 0.45  # 3,000 reviews and 100 dimensions; the full model scores ~0.76
