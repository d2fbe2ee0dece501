"""Word vectors: ``ContextEmbedder()`` against gensim's skip-gram on the same token lists.

Full mode (VEOB_DATA): all 100,000 IMDB reviews prepared once with ``prepare_corpus``
(its defaults), then, each in a child process of its own (wall time and peak memory of the fit
alone; the corpus is loaded before the clock starts): ``ContextEmbedder(random_state=0).fit``
and gensim ``Word2Vec(sg=1, vector_size=300, window=5, min_count=5, negative=5, sample=1e-4,
epochs=5, workers=2)`` on the corpus' token lists. Both sets of vectors are scored on the
development sets of ``dev_eval/``. ``--quick``: 300 reviews (or synthetic text), one epoch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest

from ._data import data_root as _data_root

pytest.importorskip("spacy")

_CHILD = textwrap.dedent("""
    import json, sys, time
    import numpy as np

    def _hwm():
        with open('/proc/self/status') as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith('VmHWM')) / 1024**2

    z = np.load(sys.argv[2])
    words, counts, ids, offsets = z["words"], z["counts"], z["token_ids"], z["offsets"]
    which, out = sys.argv[1], sys.argv[3]
    if which == "veob":
        import numba
        from threadpoolctl import threadpool_limits
        from veob.text import ContextEmbedder, Corpus
        numba.set_num_threads(int(sys.argv[4]))
        corpus = Corpus(words, counts, ids, offsets, np.arange(offsets.shape[0] - 1))
        ContextEmbedder(n_components=4, subsample=None, min_count=1).fit(
            [["warm", "up", "the", "kernels"]] * 10 + [["the", "kernels", "warm", "up"]] * 10)  # compile, untimed
        loaded = _hwm()
        with threadpool_limits(limits=int(sys.argv[4]), user_api="blas"):
            start = time.perf_counter()
            emb = ContextEmbedder(random_state=0).fit(corpus)
            seconds = time.perf_counter() - start
        wv = emb.word_vectors_
        result_words, vectors = wv.words, wv.vectors
    else:
        from gensim.models import Word2Vec
        wl, il, ol = words.tolist(), ids.tolist(), offsets.tolist()
        sentences = [[wl[i] for i in il[a:b]] for a, b in zip(ol[:-1], ol[1:])]
        del il
        loaded = _hwm()
        start = time.perf_counter()
        model = Word2Vec(sentences, sg=1, vector_size=300, window=5, min_count=5, negative=5, sample=1e-4,
                         epochs=int(sys.argv[5]), workers=2, seed=0)
        seconds = time.perf_counter() - start
        result_words, vectors = np.array(model.wv.index_to_key), model.wv.vectors
    np.savez(out, words=result_words, vectors=vectors)
    print(json.dumps({"seconds": seconds, "loaded_gb": loaded, "peak_gb": _hwm()}))
""")


def _child(which, corpus_file, out, threads, epochs):
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"),
               OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), NUMBA_NUM_THREADS=str(threads))
    proc = subprocess.run([sys.executable, "-c", _CHILD, which, str(corpus_file), str(out), str(threads),
                           str(epochs)], capture_output=True, text=True, env=env)
    if proc.returncode:
        raise RuntimeError(f"{which} child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _dev_scores(words, vectors, root):
    from veob.datasets import SIMILARITY_SETS, load_word_similarity
    from veob.text import WordVectors

    if root is None or not (root / "dev_eval").is_dir():
        return {}
    wv = WordVectors(words, vectors)
    out = {}
    for name in SIMILARITY_SETS:
        rho, _, n_oov = wv.evaluate_word_pairs(load_word_similarity(name, root / "dev_eval"))
        out[name] = None if np.isnan(rho) else round(rho, 4)
    return out


def test_context_embedder_vs_skipgram(benchmark, quick, pinned_threads):
    """ContextEmbedder() fit vs gensim skip-gram (5 epochs) on the prepared 100k reviews."""
    pytest.importorskip("gensim")
    from veob.text import prepare_corpus

    root = _data_root()
    if root is None:
        from .test_bench_text import _synthetic_texts

        texts = _synthetic_texts(300 if quick else 20000)
    else:
        from veob.datasets import load_imdb

        texts = load_imdb(root / "imdb" / "aclImdb.tar.gz", subsets=("train", "test", "unsup")).texts
        texts = texts[:300] if quick else texts
    corpus = prepare_corpus(texts, progress=False)
    epochs = 1 if quick else 5
    with tempfile.TemporaryDirectory() as tmp:
        corpus_file = Path(tmp) / "corpus.npz"
        np.savez(corpus_file, words=corpus.words, counts=corpus.counts, token_ids=corpus.token_ids,
                 offsets=corpus.offsets)
        results = {}
        for which in ("veob", "gensim"):
            out = Path(tmp) / f"{which}.npz"
            results[which] = _child(which, corpus_file, out, pinned_threads, epochs)
            with np.load(out) as z:
                results[which]["dev_sets"] = _dev_scores(z["words"], z["vectors"], root)
                results[which]["n_words"] = int(z["words"].shape[0])
    own = results["veob"]["seconds"]
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)  # timings are the children's, in extra_info
    benchmark.extra_info.update(
        threads=pinned_threads, quick=quick, n_reviews=len(texts), n_tokens=corpus.n_tokens,
        fit_seconds=own, peak_rss_gb=results["veob"]["peak_gb"], corpus_rss_gb=results["veob"]["loaded_gb"],
        dev_sets=results["veob"]["dev_sets"], n_words=results["veob"]["n_words"],
        peer_dev_sets=results["gensim"]["dev_sets"], peer_peak_rss_gb=results["gensim"]["peak_gb"],
        peer_n_words=results["gensim"]["n_words"], peer_epochs=epochs)
    peer = results["gensim"]["seconds"]
    benchmark.extra_info.update(peer=f"gensim Word2Vec skip-gram, {epochs} epochs, 2 workers", peer_median=peer,
                                ratio=peer / own)
    assert own > 0 and results["veob"]["n_words"] > 0
