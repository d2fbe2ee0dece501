"""``veob warmup``: compile and cache every numba kernel ahead, so that no run pays for it."""

from __future__ import annotations

import time

import numpy as np

from ._common import KERNEL_MODULES, _dispatchers, compiled_count, say

HELP = ("compile veob's numba kernels once and cache them on disk, so that the first real run of a command "
        "is not slowed down (measured: 316 s on 2 cores shared with other jobs, load ~10; ~10 s once cached)")


def add_arguments(parser):
    pass


def _digits():
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.zeros((len(digits.images), 28, 28), dtype=np.float32)
    images[:, 2:26, 2:26] = np.kron(digits.images, np.ones((3, 3))) * (255 / 16)
    return digits, images


def _demo(digits, images):
    from ._cmd_demo import _pipeline

    small = (digits.images[:300] / 16.0).astype(np.float32)
    _pipeline(small[:240], digits.target[:240], small[240:], 8, 20, 0)


def _mnist(digits, images):
    from ._cmd_mnist import _warm_pipelines

    _warm_pipelines(("paper", "patch"), images[:400].astype(np.uint8), digits.target[:400],
                    images[400:450].astype(np.uint8), digits.target[400:450])


def _text(digits, images):
    from ..text import ContextEmbedder, OrthographyEmbedder, ReviewComposer, SentenceEmbedder, prepare_corpus

    texts = ["The cat sat on the mat. A dog ran to the red car!", "I loved this film, the plot was great.",
             "What an awful film. I hated the plot and the actors."] * 20
    corpus = prepare_corpus(texts, progress=False)
    words = [str(w) for w in corpus.words]
    OrthographyEmbedder(n_components=4, random_state=0).fit(words)
    context = ContextEmbedder(n_components=4, min_count=1, subsample=None, random_state=0).fit(corpus)
    SentenceEmbedder(context.word_vectors_, n_components=4).fit(corpus)
    labels = [1, 1, 0] * 20
    ReviewComposer(context=3, n_freqs=2, word_dim=4, n_components=8, random_state=0).fit(texts, labels) \
        .generate(1, n=2, random_state=0)


def _baselines(digits, images):
    from ..baselines import SentimentClassifier, TrajectoryClassifier

    rng = np.random.default_rng(0)
    traj = rng.random((60, 8, 2)) * 100
    TrajectoryClassifier(random_state=0).fit(traj, np.arange(60) % 3).predict(traj[:5])
    texts = ["a great good film"] * 20 + ["an awful bad film"] * 20
    SentimentClassifier(random_state=0).fit(texts, [1] * 20 + [0] * 20).predict(texts[:2])


PARTS = (("demo (spectral, SVD, cell search)", _demo), ("mnist (paper and patch pipelines)", _mnist),
         ("text (corpus, embedders, composer)", _text), ("baselines (pen trajectories, sentiment)", _baselines))


def run(args):
    kernels = _dispatchers(KERNEL_MODULES)
    say(args, f"veob warmup: running every pipeline on a few samples to compile (or load) its numba kernels "
              f"({len(kernels)} kernels in {len(KERNEL_MODULES)} modules)")
    digits, images = _digits()
    total = time.perf_counter()
    for name, part in PARTS:
        start, before = time.perf_counter(), compiled_count(kernels)
        try:
            part(digits, images)
        except ImportError as exc:  # an optional dependency is missing: its kernels compile when first used
            say(args, f"  {name}: skipped ({exc})")
            continue
        say(args, f"  {name}: {time.perf_counter() - start:.1f} s, {compiled_count(kernels) - before} compiled")
    compiled = compiled_count(kernels)
    say(args, f"  done in {time.perf_counter() - total:.1f} s: "
              + (f"{compiled} kernel signatures compiled and cached" if compiled
                 else "every kernel was cached already"))
    return 0
