"""veob.text corpus preparation: cleaning, the spaCy and fast tokenizer paths, kernels vs twins."""

import builtins

import numpy as np
import pytest

from veob.text import Corpus, _kernels, _reference, as_corpus, clean_text, prepare_corpus

pytest.importorskip("spacy")

TRICKY = [
    "I didn't like it.<br /><br />Nice music... Bye!",
    "Mr. Smith (the \u201cboss\u201d) said: 'it' ''Deadwood\" is great' - really?! Yes.",
    "  Leading spaces.\tTabs\there.\nNew line. Caf\u00e9 na\u00efve r\u00e9sum\u00e9 :-) ok .",
    "Was this an early variation of beefcake? (WWI ?), and for most... 8/10",
    "",
    "no stop at the end",
    "Repeat me. Repeat me. Repeat me.",
    "gonna wanna cannot don't won't y'all 'cause o'clock U.S.A. e.g. i.e.",
]


def test_clean_text_reference_rules():
    assert clean_text("a<br />b") == "a b"
    assert clean_text("caf\u00e9") == "caf "
    assert clean_text("x-y(z),!?.") == "x - y ( z )  ,  !  ?  . "
    with pytest.raises(TypeError, match="text must be a str"):
        clean_text(3)


@pytest.mark.parametrize("dedup", [True, False])
def test_fast_and_spacy_paths_agree(dedup):
    fast = prepare_corpus(TRICKY, tokenizer="fast", deduplicate=dedup, progress=False)
    ref = prepare_corpus(TRICKY, tokenizer="spacy", deduplicate=dedup, progress=False)
    assert fast.sentences == ref.sentences
    assert fast.sources.tolist() == ref.sources.tolist()
    assert fast.vocab == ref.vocab
    assert fast.words.tolist() == ref.words.tolist()


def test_corpus_content():
    corpus = prepare_corpus(TRICKY, progress=False)
    sents = corpus.sentences
    assert ["i", "do", "not", "like", "it", "."] == sents[0]
    # tags stripped, non-ASCII replaced, no whitespace tokens, all lower case
    flat = [t for s in sents for t in s]
    assert all(t.isascii() and t == t.lower() and t.strip() == t and t for t in flat)
    assert "br" not in flat
    # the same sentence three times in one text is kept once
    assert sum(s == ["repeat", "me", "."] for s in sents) == 1
    assert sum(s == ["repeat", "me", "."] for s in prepare_corpus(TRICKY, deduplicate=False,
                                                                  progress=False).sentences) == 3
    # empty text: no sentence from it; sources index the texts
    assert 4 not in corpus.sources.tolist()
    assert corpus.sources.tolist() == sorted(corpus.sources.tolist())
    # vocabulary: by count, ties alphabetical; counts match the sentences
    counts = {}
    for t in flat:
        counts[t] = counts.get(t, 0) + 1
    assert corpus.vocab == counts
    order = sorted(counts, key=lambda w: (-counts[w], w))
    assert corpus.words.tolist() == order
    # integer form matches
    assert corpus.n_sentences == len(sents) and corpus.n_tokens == len(flat)
    assert corpus.sentence(0) == sents[0] and corpus.sentence(-1) == sents[-1]


def test_max_tokens_filter():
    texts = ["one two three four five. six seven."]
    corpus = prepare_corpus(texts, max_tokens=3, progress=False)
    assert corpus.sentences == [["six", "seven", "."]]
    assert prepare_corpus(texts, max_tokens=6, progress=False).n_sentences == 2


def test_prepare_corpus_errors():
    with pytest.raises(TypeError, match="single str"):
        prepare_corpus("a text", progress=False)
    with pytest.raises(TypeError, match=r"texts\[1\] is a int"):
        prepare_corpus(["a", 3], progress=False)
    with pytest.raises(ValueError, match="max_tokens=0 must be >= 1"):
        prepare_corpus(["a"], max_tokens=0)
    with pytest.raises(ValueError, match="tokenizer='nltk' is not supported"):
        prepare_corpus(["a"], tokenizer="nltk")
    with pytest.raises(TypeError, match="deduplicate"):
        prepare_corpus(["a"], deduplicate="yes")


def test_missing_spacy_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "spacy" or name.startswith("spacy."):
            raise ImportError("no spacy")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"pip install 'veob\[text\]'"):
        prepare_corpus(["a b."], progress=False)


def test_as_corpus_and_vocabulary():
    corpus = as_corpus([["b", "a", "b"], ["c"]])
    assert corpus.words.tolist() == ["b", "a", "c"]
    assert corpus.token_ids.tolist() == [0, 1, 0, 2]
    assert corpus.offsets.tolist() == [0, 3, 4]
    fixed = as_corpus([["b", "x", "a"]], vocabulary=["a", "b"])
    assert fixed.token_ids.tolist() == [1, 0] and fixed.counts.tolist() == [1, 1]
    assert as_corpus(corpus) is corpus
    with pytest.raises(ValueError, match="empty"):
        as_corpus([])
    with pytest.raises(TypeError, match=r"sentences\[0\] has type str"):
        as_corpus(["a b"])
    with pytest.raises(TypeError, match="tokens must be str"):
        as_corpus([["a", 1]])
    with pytest.raises(ValueError, match="duplicate"):
        as_corpus([["a"]], vocabulary=["a", "a"])


def test_corpus_validation():
    with pytest.raises(ValueError, match="offsets"):
        Corpus(["a"], [1], [0], [0, 2], [0])
    with pytest.raises(ValueError, match="token_ids must lie"):
        Corpus(["a"], [1], [3], [0, 1], [0])
    with pytest.raises(ValueError, match="counts"):
        Corpus(["a"], [1, 2], [0], [0, 1], [0])


def _random_chunk_table(rng, n_chunks=30):
    lengths = rng.integers(0, 4, n_chunks)
    ptr = np.concatenate([[0], np.cumsum(lengths)])
    n_tok = int(ptr[-1])
    norms = np.where(rng.random(n_tok) < 0.2, -1, rng.integers(0, 10, n_tok))
    flags = rng.choice([0, _kernels.FLAG_PUNCT, _kernels.FLAG_PUNCT | _kernels.FLAG_STOP, _kernels.FLAG_STOP],
                       n_tok, p=[0.6, 0.2, 0.15, 0.05])
    return ptr.astype(np.int64), norms.astype(np.int64), flags.astype(np.int64)


@pytest.mark.parametrize("seed", range(5))
def test_sentencize_kernel_matches_reference(seed):
    rng = np.random.default_rng(seed)
    ptr, norms, flags = _random_chunk_table(rng)
    n_texts = 12
    lengths = rng.integers(0, 15, n_texts)
    text_offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    chunks = rng.integers(0, len(ptr) - 1, text_offsets[-1]).astype(np.int64)
    for max_tokens in (1, 3, 100):
        n_out = int(np.diff(ptr)[chunks].sum()) + 1
        out = np.empty(n_out, np.int64)
        sent_ptr = np.empty(n_out + 1, np.int64)
        src = np.empty(n_out, np.int64)
        n = _kernels.sentencize(chunks, text_offsets, ptr, norms, flags, max_tokens, out, sent_ptr, src)
        got = [out[sent_ptr[i]:sent_ptr[i + 1]].tolist() for i in range(n)]
        ref, ref_src = _reference.sentencize(chunks, text_offsets, ptr, norms, flags, max_tokens)
        assert got == ref
        assert src[:n].tolist() == ref_src


def test_context_sensitive_kernel_matches_reference():
    rng = np.random.default_rng(0)
    n_chunks = 40
    first = rng.integers(30, 130, n_chunks)
    last = rng.integers(30, 130, n_chunks)
    starts = rng.random(n_chunks) < 0.3
    ends = rng.random(n_chunks) < 0.3
    table = rng.random((128, 128)) < 0.3
    text_offsets = np.concatenate([[0], np.cumsum(rng.integers(0, 6, 20))]).astype(np.int64)
    chunks = rng.integers(0, n_chunks, text_offsets[-1]).astype(np.int64)
    flagged = np.zeros(20, dtype=bool)
    _kernels.context_sensitive(chunks, text_offsets, first, last, starts, ends, table, flagged)
    ref = _reference.context_sensitive(chunks, text_offsets, first, last, starts, ends, table)
    assert flagged.tolist() == ref.tolist()


def test_real_imdb_fast_equals_spacy(data_root):
    from veob.datasets import load_imdb

    texts = load_imdb(data_root / "imdb" / "aclImdb.tar.gz", subsets="unsup").texts[:1000]
    fast = prepare_corpus(texts, deduplicate=False, max_tokens=32, progress=False)
    ref = prepare_corpus(texts, tokenizer="spacy", deduplicate=False, max_tokens=32, progress=False)
    assert fast.n_sentences > 10000
    assert fast.sentences == ref.sentences
    assert np.array_equal(fast.sources, ref.sources)
    assert 1 <= min(map(len, fast.sentences)) and max(map(len, fast.sentences)) <= 32
