"""Metrics of veob's review composer against the LaTextGAN seed (issue 11).

Fits :class:`veob.text.ReviewComposer` and the :class:`veob.text.KneserNeyLM`
trigram baseline on the 25,000 IMDB training reviews, writes 200 reviews
per sentiment (``random_state=0``) and measures:

- sentiment control: share judged as the requested sentiment by a
  scikit-learn TF-IDF (1-2 grams) logistic regression trained on the 25,000
  training reviews (not a veob model);
- ending: share of reviews that end by themselves before ``max_tokens``;
- repetition: share of reviews with a repeated 4-gram; distinct-2 over all
  generated reviews;
- novelty: share of generated sentences of >= 6 tokens not found verbatim in
  the training reviews;
- fluency: perplexity on the 25,000 test reviews (true labels) of both
  models and of their linear interpolation (weight chosen on the first 10 %
  of the test reviews, reported on all of them);
- speed: fit time and generated reviews per second.

Run (not part of the test suite)::

    VEOB_DATA=../shared/data python benchmarks/composer_metrics.py --out composer.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numpy as np

SEED_RESULT = {
    "sentiment_control": "no control (same output for both sentiments)",
    "ending": "0 (never produced the end token)",
    "repeated_4gram_share": "1.0 (repeats a sub-segment until the length limit)",
    "distinct_2": "one output for every input",
    "novelty": "n/a",
    "perplexity_ratio": "n/a",
    "fit_seconds": "VAE 5 epochs + WGAN (GPU)",
    "reviews_per_second": "n/a",
}

TARGETS = {
    "sentiment_control": ">= 0.90", "ending": ">= 0.95", "repeated_4gram_share": "<= 0.02",
    "distinct_2": ">= 0.50", "novelty": ">= 0.90", "perplexity_ratio": "<= 1.2",
    "fit_seconds": "<= 300", "reviews_per_second": ">= 20",
}

LABEL_NAMES = {1: "pos", 0: "neg"}


def fit_judge(texts, labels):
    """The independent sentiment judge: TF-IDF (1-2 grams) + logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    judge = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_df=0.9, sublinear_tf=True),
                          LogisticRegression(C=4.0, max_iter=2000))
    return judge.fit(texts, labels)


def _sentences(tokens):
    out, cur = [], []
    for tok in tokens:
        cur.append(tok)
        if tok in (".", "!", "?"):
            out.append(tuple(cur))
            cur = []
    if cur:
        out.append(tuple(cur))
    return out


def training_sentences(texts, min_tokens=6):
    from veob.text._lm import tokenize

    seen = set()
    for t in texts:
        seen.update(s for s in _sentences(tokenize(t)) if len(s) >= min_tokens)
    return seen


def text_metrics(reviews, judge, train_sentences, max_tokens, min_tokens=6):
    """Metrics of generated reviews: ``reviews`` maps label -> list of str."""
    from veob.text._lm import tokenize

    out = {"per_label": {}}
    all_bigrams, n_bigrams, n_rep, n_end, n_total = set(), 0, 0, 0, 0
    n_sent, n_novel, correct = 0, 0, 0
    lengths = []
    for label, texts in reviews.items():
        pred = judge.predict(texts)
        ok = int(np.sum(pred == label))
        correct += ok
        out["per_label"][LABEL_NAMES.get(label, str(label))] = {"sentiment_control": ok / len(texts)}
        for text in texts:
            toks = tokenize(text)
            lengths.append(len(toks))
            n_total += 1
            n_end += int(0 < len(toks) < max_tokens and toks[-1] in (".", "!", "?"))
            grams = [tuple(toks[i:i + 4]) for i in range(len(toks) - 3)]
            n_rep += int(len(set(grams)) < len(grams))
            bigrams = list(zip(toks, toks[1:]))
            all_bigrams.update(bigrams)
            n_bigrams += len(bigrams)
            for s in _sentences(toks):
                if len(s) >= min_tokens:
                    n_sent += 1
                    n_novel += int(s not in train_sentences)
    out.update(sentiment_control=correct / n_total, ending=n_end / n_total, repeated_4gram_share=n_rep / n_total,
               distinct_2=len(all_bigrams) / max(n_bigrams, 1), novelty=n_novel / max(n_sent, 1),
               n_sentences=n_sent, mean_tokens=float(np.mean(lengths)), median_tokens=float(np.median(lengths)))
    return out


def perplexities(composer, kn, texts, labels, tune_share=0.1):
    """Perplexity of both models, and of their interpolation tuned on the first test reviews."""
    t0 = time.perf_counter()
    a = composer.log_likelihood(texts, labels, per_token=True)
    t_comp = time.perf_counter() - t0
    b = kn.log_likelihood(texts, labels, per_token=True)
    from veob.text._lm import tokenize

    n_tune = max(1, int(len(texts) * tune_share))
    n_tok_tune = sum(len(tokenize(t)) + 1 for t in texts[:n_tune])
    grid = np.linspace(0.05, 0.95, 19)
    mix = lambda lam, x, y: np.logaddexp(np.log(lam) + x, np.log1p(-lam) + y)  # noqa: E731
    tuned = [np.mean(mix(lam, a[:n_tok_tune], b[:n_tok_tune])) for lam in grid]
    lam = float(grid[int(np.argmax(tuned))])
    ppl = {"composer": float(np.exp(-a.mean())), "kneser_ney": float(np.exp(-b.mean())),
           "interpolated": float(np.exp(-np.mean(mix(lam, a, b)))), "composer_weight": lam,
           "n_tokens": int(a.shape[0]), "composer_seconds": t_comp}
    ppl["ratio"] = ppl["composer"] / ppl["kneser_ney"]
    ppl["interpolated_ratio"] = ppl["interpolated"] / ppl["kneser_ney"]
    return ppl


def shortlist_mass(composer, texts, labels, n_positions=20000, seed=0):
    """Mean share of the model's probability (guidance 0, temperature 1) on the generation shortlist.

    Over ``n_positions`` random positions of ``texts`` (their true labels):
    the mass of the words :meth:`ReviewComposer.generate` scores (the
    likeliest followers of the previous word, the common words and
    ``</s>``) under the full-vocabulary distribution of
    :meth:`ReviewComposer.log_likelihood`.
    """
    from veob.text import _composer_reference as ref

    ids, offsets, y = composer._encode_eval(texts, labels)
    rng = np.random.default_rng(seed)
    n_words = composer.vocabulary_.shape[0]
    masses = []
    for Z, _, prev, lab in composer._training_blocks(ids, offsets, y):
        take = np.sort(rng.choice(Z.shape[0], size=min(Z.shape[0], max(1, n_positions // 50)), replace=False))
        S = composer._scores(Z[take], prev[take], lab[take])
        L = ref.logits(S, composer.log_unigram_, composer.calibration_)
        P = np.exp(L - L.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        for i, (k, v) in enumerate(zip(lab[take], prev[take])):
            row = k * n_words + v
            cand = np.concatenate([composer.candidate_words_[composer.candidate_ptr_[row]:composer.candidate_ptr_[row + 1]],
                                   composer.common_words_[k], [2]])
            masses.append(P[i, np.unique(cand)].sum())
        if len(masses) >= n_positions:
            break
    return float(np.mean(masses))


def run(data=None, *, n_train=None, n_test=None, n_generate=200, max_tokens=600, temperature=1.0, top_p=0.9,
        seed=0, composer_params=None, log=print, return_model=False):
    """Fit both models, generate and measure; returns the results dict (and the composer)."""
    from veob.datasets import load_imdb
    from veob.text import KneserNeyLM, ReviewComposer

    train = load_imdb(data, subsets="train")
    test = load_imdb(data, subsets="test")
    rng = np.random.default_rng(seed)
    tr = rng.permutation(len(train.texts))[:n_train] if n_train else np.arange(len(train.texts))
    te = rng.permutation(len(test.texts))[:n_test] if n_test else np.arange(len(test.texts))
    texts, labels = [train.texts[i] for i in tr], train.labels[tr]
    test_texts, test_labels = [test.texts[i] for i in te], test.labels[te]
    log(f"train {len(texts):,} reviews, test {len(test_texts):,} reviews")

    t0 = time.perf_counter()
    composer = ReviewComposer(random_state=seed, **(composer_params or {})).fit(texts, labels)
    fit_seconds = time.perf_counter() - t0
    log(f"composer fit {fit_seconds:.1f} s ({composer.partition_.n_cells_} cells)")
    t0 = time.perf_counter()
    kn = KneserNeyLM(order=3, max_vocab=composer.max_vocab).fit(texts, labels)
    kn_seconds = time.perf_counter() - t0
    log(f"Kneser-Ney fit {kn_seconds:.1f} s")
    if not np.array_equal(kn.vocabulary_, composer.vocabulary_):
        raise RuntimeError("the composer and the Kneser-Ney model have different vocabularies")

    reviews, gen_seconds = {}, 0.0
    for label in (1, 0):
        t0 = time.perf_counter()
        reviews[label] = composer.generate(label, n=n_generate, max_tokens=max_tokens, temperature=temperature,
                                           top_p=top_p, random_state=seed)
        gen_seconds += time.perf_counter() - t0
    log(f"generated {2 * n_generate} reviews in {gen_seconds:.1f} s")
    t0 = time.perf_counter()
    judge = fit_judge(texts, labels)
    judge_test_accuracy = float(np.mean(judge.predict(test_texts) == test_labels))
    log(f"judge fit {time.perf_counter() - t0:.1f} s, test accuracy {judge_test_accuracy:.3f}")
    metrics = text_metrics(reviews, judge, training_sentences(texts), max_tokens)
    kn_reviews = {label: kn.generate(label, n=n_generate, max_tokens=max_tokens, temperature=temperature,
                                     top_p=top_p, random_state=seed) for label in (1, 0)}
    kn_metrics = text_metrics(kn_reviews, judge, training_sentences(texts), max_tokens)
    log("perplexity ...")
    ppl = perplexities(composer, kn, test_texts, test_labels)
    metrics.update(perplexity=ppl, perplexity_ratio=ppl["ratio"], fit_seconds=fit_seconds,
                   reviews_per_second=2 * n_generate / gen_seconds, kneser_ney_fit_seconds=kn_seconds,
                   judge_test_accuracy=judge_test_accuracy)
    result = {
        "settings": {"n_train": len(texts), "n_test": len(test_texts), "n_generate": n_generate,
                     "max_tokens": max_tokens, "temperature": temperature, "top_p": top_p, "seed": seed,
                     "composer": {k: v for k, v in composer.get_params().items() if k != "word_vectors"},
                     "n_cells": int(composer.partition_.n_cells_),
                     "calibration": composer.calibration_.tolist()},
        "machine": {"cpu_count": os.cpu_count(), "load_average": list(os.getloadavg()),
                    "python": platform.python_version()},
        "composer": metrics,
        "kneser_ney_generation": kn_metrics,
        "examples": {LABEL_NAMES[k]: v[:3] for k, v in reviews.items()},
        "kneser_ney_examples": {LABEL_NAMES[k]: v[:1] for k, v in kn_reviews.items()},
        "reviews": {LABEL_NAMES[k]: v for k, v in reviews.items()},
    }
    return (result, composer) if return_model else result


def _fmt(v):
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def format_table(result):
    """The metrics table (markdown) beside the seed's result and the targets."""
    m, k = result["composer"], result["kneser_ney_generation"]
    ppl = m["perplexity"]
    rows = [
        ("sentiment control (TF-IDF judge)", _fmt(m["sentiment_control"]), _fmt(k["sentiment_control"]),
         TARGETS["sentiment_control"], SEED_RESULT["sentiment_control"]),
        ("ending before 600 tokens", _fmt(m["ending"]), _fmt(k["ending"]), TARGETS["ending"], SEED_RESULT["ending"]),
        ("reviews with a repeated 4-gram", _fmt(m["repeated_4gram_share"]), _fmt(k["repeated_4gram_share"]),
         TARGETS["repeated_4gram_share"], SEED_RESULT["repeated_4gram_share"]),
        ("distinct-2", _fmt(m["distinct_2"]), _fmt(k["distinct_2"]), TARGETS["distinct_2"], SEED_RESULT["distinct_2"]),
        ("novel sentences (>= 6 tokens)", _fmt(m["novelty"]), _fmt(k["novelty"]), TARGETS["novelty"],
         SEED_RESULT["novelty"]),
        ("test perplexity", f"{ppl['composer']:.1f}", f"{ppl['kneser_ney']:.1f}", "", ""),
        ("perplexity / Kneser-Ney trigram", f"{ppl['ratio']:.2f}", "1.00", TARGETS["perplexity_ratio"],
         SEED_RESULT["perplexity_ratio"]),
        (f"interpolation ({ppl['composer_weight']:.2f} composer)", f"{ppl['interpolated']:.1f} "
         f"({ppl['interpolated_ratio']:.2f}x)", "", "", ""),
        ("fit seconds", f"{m['fit_seconds']:.0f}", f"{m['kneser_ney_fit_seconds']:.0f}", TARGETS["fit_seconds"],
         SEED_RESULT["fit_seconds"]),
        ("generated reviews / s", f"{m['reviews_per_second']:.1f}", "", TARGETS["reviews_per_second"],
         SEED_RESULT["reviews_per_second"]),
        ("mean tokens per review", f"{m['mean_tokens']:.0f}", f"{k['mean_tokens']:.0f}", "", ""),
    ]
    lines = ["| metric | ReviewComposer | Kneser-Ney trigram | target | LaTextGAN seed |",
             "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def format_markdown(result):
    """docs/composer.md: settings, the table beside the seed, example reviews."""
    st, m, mach = result["settings"], result["composer"], result["machine"]
    ppl = m["perplexity"]
    parts = [
        "# Review composer: sentiment-conditioned IMDB reviews without gradient descent",
        "",
        "`veob.text.ReviewComposer` against the LaTextGAN seed (`../shared/seeds/001_1ec89cfc43a58662.txt`, "
        "a VAE + WGAN that wrote one repetitive output whatever the sentiment, and never ended). Produced by "
        "`benchmarks/composer_metrics.py` (also run by `examples/review_composer.py`).",
        "",
        "## Method",
        "",
        "Context features of each position: the low-frequency DCT blocks (spectral transform) of the previous "
        f"{st['composer']['context']} word vectors (PPMI-SVD, fitted on the training reviews), the last word's vector, "
        "alpha x one-hot(label) (the paper's Z = [P_x; alpha P_y]) and the position. A ridge least-squares map "
        "with a reduced-rank output (rank "
        f"{st['composer']['n_components']}) sends them to the next word, one map per cell of a VoronoiPartition "
        f"of the features ({st['n_cells']} cells, label-pure because alpha is large) shrunk to a global map, "
        "plus a label-specific bigram table in the same output space (closed-form conditional means). "
        "Scores become probabilities by a 3-parameter log-linear calibration fitted by Newton's method. "
        "Generation: nucleus sampling, no 4-gram twice in a review, the end marker only after . ! ?, and "
        f"label guidance g = {st['composer'].get('guidance', 0.0)} (scores s_y + g (s_y - s_other), "
        "as classifier-free guidance; it does not change the likelihood).",
        "",
        f"## Results ({st['n_train']:,} training reviews, {st['n_generate']} reviews per sentiment, "
        f"temperature {st['temperature']}, top_p {st['top_p']}, random_state {st['seed']})",
        "",
        format_table(result),
        "",
        f"Perplexity on {st['n_test']:,} test reviews ({ppl['n_tokens']:,} tokens, true labels, vocabulary of "
        f"{st['composer']['max_vocab']:,} words with `<unk>`). The interpolation weight was chosen on the first "
        "10 % of those reviews. The Kneser-Ney column under the generation metrics is the trigram model "
        "sampled the same way. The judge (TF-IDF 1-2 grams + logistic regression on the training reviews) "
        f"scores {m['judge_test_accuracy']:.3f} on the test reviews. Machine: {mach['cpu_count']} cores shared "
        f"with other jobs, load average {', '.join(f'{x:.1f}' for x in mach['load_average'])} at the end of the "
        "run, so the times are upper bounds.",
        "",
        "## Generated reviews (the first three of each sentiment)",
        "",
    ]
    for label, texts in result["examples"].items():
        parts.append(f"**{label}**")
        parts.append("")
        parts += [f"- {t}" for t in texts]
        parts.append("")
    parts.append("Kneser-Ney trigram, for comparison:")
    parts.append("")
    for label, texts in result["kneser_ney_examples"].items():
        parts += [f"- ({label}) {t}" for t in texts]
    parts.append("")
    return "\n".join(parts)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=None, help="IMDB archive or folder (default: $VEOB_DATA/imdb)")
    parser.add_argument("--n-train", type=int, default=None, help="subsample of training reviews (default: all)")
    parser.add_argument("--n-test", type=int, default=None, help="subsample of test reviews (default: all)")
    parser.add_argument("--n-generate", type=int, default=200)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--top-p", type=float, default=0.9)
    parser.add_argument("--params", default="{}", help="JSON dict of ReviewComposer parameters")
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    parser.add_argument("--save-model", default=None, help="save the fitted composer here (veob.save)")
    args = parser.parse_args(argv)
    result, composer = run(args.data, n_train=args.n_train, n_test=args.n_test, n_generate=args.n_generate,
                           temperature=args.temperature, top_p=args.top_p, composer_params=json.loads(args.params),
                           log=lambda *a: print(*a, file=sys.stderr, flush=True), return_model=True)
    if args.save_model:
        import veob

        veob.save(composer, args.save_model)
    print(format_table(result))
    for label, texts in result["examples"].items():
        print(f"\n{label}:")
        for t in texts:
            print(" -", t[:500])
    if args.out:
        tmp = f"{args.out}.tmp"
        with open(tmp, "w") as fh:
            json.dump(result, fh, indent=1)
        os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
