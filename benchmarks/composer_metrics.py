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
- fluency of the generated text: its perplexity under an independent judge
  (``benchmarks/composer_judge.py``: a modified Kneser-Ney trigram over an
  open vocabulary, no labels, written apart from veob) divided by the judge's
  perplexity of the real test reviews;
- the model's own fluency: perplexity on the 25,000 test reviews (true
  labels) of both models and of their linear interpolation (weight chosen on
  the first 10 % of the test reviews, reported on all of them);
- the share of the model's probability on the shortlist that generation
  scores;
- speed and memory: fit time, generated reviews per second, peak resident
  memory of the process.

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
    "judge_ratio": "n/a",
    "reviews_per_second": "n/a",
}

TARGETS = {
    "sentiment_control": ">= 0.90", "ending": ">= 0.95", "repeated_4gram_share": "<= 0.02",
    "distinct_2": ">= 0.50", "novelty": ">= 0.90", "perplexity_ratio": "<= 1.2",
    "fit_seconds": "<= 300", "reviews_per_second": ">= 20", "judge_ratio": "<= 1.2",
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

    Over about ``n_positions`` random positions of ``texts`` (their true
    labels): the mass of the words :meth:`ReviewComposer.generate` scores
    (the likeliest followers of the class-trigram context and of the previous
    word, the common words and ``</s>``) under the full-vocabulary
    distribution of :meth:`ReviewComposer.log_likelihood`.
    """
    from veob.text._lm import EOS_ID

    ids, offsets, y = composer._encode_eval(texts, labels)
    rng = np.random.default_rng(seed)
    n_words = composer.vocabulary_.shape[0]
    t_ptr, t_words, b_ptr, b_words, common = composer._lists()
    n_blocks = max(1, int(np.ceil((ids.shape[0] - offsets.shape[0] + 1) / 32768)))
    masses = []
    for Z, _, prev, before, lab in composer._training_blocks(ids, offsets, y):
        take = np.sort(rng.choice(Z.shape[0], size=min(Z.shape[0], max(1, n_positions // n_blocks)), replace=False))
        for a in range(0, take.shape[0], 2048):  # dense (rows x n_words) logits, 2048 rows at a time
            sel = take[a:a + 2048]
            L = composer._logits(Z[sel], prev[sel], before[sel], lab[sel])
            P = np.exp(L - L.max(axis=1, keepdims=True))
            P /= P.sum(axis=1, keepdims=True, dtype=np.float64).astype(np.float32)
            rows = composer._rows(before[sel], prev[sel])
            for i, (k, v, r) in enumerate(zip(lab[sel], prev[sel], rows)):
                b = k * n_words + v
                cand = [b_words[b_ptr[b]:b_ptr[b + 1]], common[k], [EOS_ID]]
                if r >= 0:
                    cand.append(t_words[t_ptr[r]:t_ptr[r + 1]])
                masses.append(float(P[i, np.unique(np.concatenate(cand).astype(np.int64))].sum(dtype=np.float64)))
    return float(np.mean(masses))


def ablation_perplexities(composer, texts, labels):
    """Test perplexity of the composer's parts: the label bigram alone, the count model, the whole model."""
    from veob.text import _composer_kernels as kernels

    ids, offsets, y = composer._encode_eval(texts, labels)
    parts = {"label bigram": [], "label bigram + class trigram": [], "ReviewComposer (+ spectral map)": []}
    for block in composer._training_blocks(ids, offsets, y):
        for a in range(0, block[0].shape[0], 4096):  # dense (rows x n_words) logits, 4096 rows at a time
            Z, tgt, prev, before, lab = (arr[a:a + 4096] for arr in block)
            rows = composer._rows(before, prev)
            for name, use_rows in (("label bigram", np.full_like(rows, -1)), ("label bigram + class trigram", rows)):
                L = np.zeros((Z.shape[0], composer.vocabulary_.shape[0]), dtype=np.float32)
                kernels.base_logits(L, lab, prev, use_rows, *composer._counts(), composer._log_low(),
                                    composer.log_unigram_, np.array([0.0, 0.0, 1.0, 0.0]))
                lp = np.empty(Z.shape[0])
                kernels.log_softmax_at(L, tgt.astype(np.int64), lp)
                parts[name].append(lp)
            L = composer._logits(Z, prev, before, lab)
            lp = np.empty(Z.shape[0])
            kernels.log_softmax_at(L, tgt.astype(np.int64), lp)
            parts["ReviewComposer (+ spectral map)"].append(lp)
    return {name: float(np.exp(-np.concatenate(v).mean())) for name, v in parts.items()}


def run(data=None, *, n_train=None, n_test=None, n_generate=200, max_tokens=600, temperature=1.0, top_p=0.9,
        seed=0, composer_params=None, log=print, return_model=False, model=None, save_model=None):
    """Fit both models, generate and measure; returns the results dict (and the composer)."""
    from veob.datasets import load_imdb
    from veob.text import KneserNeyLM, ReviewComposer

    train = load_imdb(data, subsets="train")
    test = load_imdb(data, subsets="test")
    rng = np.random.default_rng(seed)
    tr = rng.permutation(len(train.texts))[:n_train] if n_train else np.arange(len(train.texts))
    te = rng.permutation(len(test.texts))[:n_test]  # shuffled (all of them by default): both labels in any prefix
    texts, labels = [train.texts[i] for i in tr], train.labels[tr]
    test_texts, test_labels = [test.texts[i] for i in te], test.labels[te]
    log(f"train {len(texts):,} reviews, test {len(test_texts):,} reviews")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if root not in sys.path:  # run as a script: make ``benchmarks`` importable
        sys.path.insert(0, root)
    from benchmarks.composer_judge import JudgeTrigram
    from veob.text._lm import tokenize

    t0 = time.perf_counter()
    fluency_judge = JudgeTrigram().fit([tokenize(t) for t in texts])
    real_judge_ppl = fluency_judge.perplexity([tokenize(t) for t in test_texts])
    log(f"judge trigram fit {time.perf_counter() - t0:.1f} s, {len(fluency_judge.vocabulary_):,} words; "
        f"real test reviews: perplexity {real_judge_ppl:.1f}")

    if model is not None:  # a composer fitted (and timed) by an earlier run on the same reviews
        import veob

        composer = veob.load(model)
        fit_seconds = fit_cpu_seconds = float("nan")
    else:
        t0, c0 = time.perf_counter(), time.process_time()
        composer = ReviewComposer(random_state=seed, **(composer_params or {})).fit(texts, labels)
        fit_seconds, fit_cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
        if save_model:
            import veob

            veob.save(composer, save_model)
    log(f"composer fit {fit_seconds:.1f} s ({composer.partition_.n_cells_} cells)")
    t0 = time.perf_counter()
    kn = KneserNeyLM(order=3, max_vocab=composer.max_vocab).fit(texts, labels)
    kn_seconds = time.perf_counter() - t0
    log(f"Kneser-Ney fit {kn_seconds:.1f} s")
    if not np.array_equal(kn.vocabulary_, composer.vocabulary_):
        raise RuntimeError("the composer and the Kneser-Ney model have different vocabularies")

    composer.generate(1, n=2, max_tokens=5, random_state=seed)  # compile the kernels outside the timing
    reviews, gen_seconds, gen_cpu = {}, 0.0, 0.0
    for label in (1, 0):
        t0, c0 = time.perf_counter(), time.process_time()
        reviews[label] = composer.generate(label, n=n_generate, max_tokens=max_tokens, temperature=temperature,
                                           top_p=top_p, random_state=seed)
        gen_seconds += time.perf_counter() - t0
        gen_cpu += time.process_time() - c0
    log(f"generated {2 * n_generate} reviews in {gen_seconds:.1f} s")
    t0 = time.perf_counter()
    judge = fit_judge(texts, labels)
    judge_test_accuracy = float(np.mean(judge.predict(test_texts) == test_labels))
    log(f"judge fit {time.perf_counter() - t0:.1f} s, test accuracy {judge_test_accuracy:.3f}")
    metrics = text_metrics(reviews, judge, training_sentences(texts), max_tokens)
    t0 = time.perf_counter()
    kn_reviews = {label: kn.generate(label, n=n_generate, max_tokens=max_tokens, temperature=temperature,
                                     top_p=top_p, random_state=seed) for label in (1, 0)}
    kn_gen_seconds = time.perf_counter() - t0
    kn_metrics = text_metrics(kn_reviews, judge, training_sentences(texts), max_tokens)
    for m_, revs in ((metrics, reviews), (kn_metrics, kn_reviews)):
        m_["judge_perplexity"] = fluency_judge.perplexity([tokenize(r) for v in revs.values() for r in v])
        m_["judge_ratio"] = m_["judge_perplexity"] / real_judge_ppl
    kn_metrics["reviews_per_second"] = 2 * n_generate / kn_gen_seconds
    log(f"judge perplexity of generated reviews {metrics['judge_perplexity']:.1f} "
        f"({metrics['judge_ratio']:.2f}x the real test reviews)")
    t0 = time.perf_counter()
    metrics["shortlist_mass"] = shortlist_mass(composer, test_texts, test_labels)
    log(f"shortlist mass {metrics['shortlist_mass']:.4f} ({time.perf_counter() - t0:.1f} s)")
    log("perplexity ...")
    ppl = perplexities(composer, kn, test_texts, test_labels)
    n_ablation = min(len(test_texts), 2500)
    ppl["ablation"] = ablation_perplexities(composer, test_texts[:n_ablation], test_labels[:n_ablation])
    ppl["ablation"]["Kneser-Ney trigram"] = float(np.exp(-kn.log_likelihood(test_texts[:n_ablation],
                                                                           test_labels[:n_ablation])))
    ppl["ablation_n_reviews"] = n_ablation
    log(f"perplexity {ppl['composer']:.1f} vs Kneser-Ney {ppl['kneser_ney']:.1f}; parts {ppl['ablation']}")
    metrics.update(perplexity=ppl, perplexity_ratio=ppl["ratio"], fit_seconds=fit_seconds,
                   fit_cpu_seconds=fit_cpu_seconds, generate_cpu_seconds=gen_cpu,
                   reviews_per_second=2 * n_generate / gen_seconds, kneser_ney_fit_seconds=kn_seconds,
                   judge_test_accuracy=judge_test_accuracy, judge_real_perplexity=real_judge_ppl,
                   peak_rss_gb=_peak_rss_gb())
    result = {
        "settings": {"n_train": len(texts), "n_test": len(test_texts), "n_generate": n_generate,
                     "max_tokens": max_tokens, "temperature": temperature, "top_p": top_p, "seed": seed,
                     "composer": {k: v for k, v in composer.get_params().items() if k != "word_vectors"},
                     "n_cells": int(composer.partition_.n_cells_),
                     "bigram_discount": composer.bigram_discount_, "trigram_discount": composer.trigram_discount_,
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


def _peak_rss_gb():
    """Peak resident memory of this process so far (VmHWM), in GB."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1e6
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


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
        ("judge perplexity of the generated reviews", f"{m['judge_perplexity']:.1f}",
         f"{k['judge_perplexity']:.1f}", "", ""),
        ("... / judge perplexity of the real test reviews", f"{m['judge_ratio']:.2f}", f"{k['judge_ratio']:.2f}",
         TARGETS["judge_ratio"], SEED_RESULT["judge_ratio"]),
        ("test perplexity", f"{ppl['composer']:.1f}", f"{ppl['kneser_ney']:.1f}", "", ""),
        ("perplexity / Kneser-Ney trigram", f"{ppl['ratio']:.2f}", "1.00", TARGETS["perplexity_ratio"],
         SEED_RESULT["perplexity_ratio"]),
        (f"interpolation ({ppl['composer_weight']:.2f} composer)", f"{ppl['interpolated']:.1f} "
         f"({ppl['interpolated_ratio']:.2f}x)", "", "", ""),
        ("fit seconds (wall; CPU time of the process)", f"{m['fit_seconds']:.0f} ({m['fit_cpu_seconds']:.0f} CPU)",
         f"{m['kneser_ney_fit_seconds']:.0f}", TARGETS["fit_seconds"], SEED_RESULT["fit_seconds"]),
        ("generated reviews / s", f"{m['reviews_per_second']:.1f}", f"{k['reviews_per_second']:.1f}",
         TARGETS["reviews_per_second"], SEED_RESULT["reviews_per_second"]),
        ("shortlist share of the probability", f"{m['shortlist_mass']:.3f}", "", "", ""),
        ("peak memory (GB, whole run)", f"{m['peak_rss_gb']:.2f}", "", "", ""),
        ("mean tokens per review", f"{m['mean_tokens']:.0f}", f"{k['mean_tokens']:.0f}", "", ""),
    ]
    lines = ["| metric | ReviewComposer | Kneser-Ney trigram | target | LaTextGAN seed |",
             "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def format_markdown(result, command="VEOB_DATA=../shared/data python benchmarks/composer_metrics.py"):
    """docs/composer.md: method, the table beside the seed, the parts, example reviews."""
    st, m, mach = result["settings"], result["composer"], result["machine"]
    ppl = m["perplexity"]
    c = st["composer"]
    parts = [
        "# Review composer: sentiment-conditioned IMDB reviews without gradient descent",
        "",
        "`veob.text.ReviewComposer` against the LaTextGAN seed (`../shared/seeds/001_1ec89cfc43a58662.txt`, "
        "a VAE + WGAN that wrote one repetitive output whatever the sentiment, and never ended). Produced by "
        f"`{command}` (`examples/review_composer.py` runs the same and fills a Chroma collection).",
        "",
        "## Method",
        "",
        "Every part is fitted in closed form (counts, least squares, one small concave calibration); nothing is "
        "trained by gradient descent.",
        "",
        "- **Count model.** A label bigram (the bigram counts of the label's reviews, discounted as in "
        f"Kneser-Ney, discount {st.get('bigram_discount', float('nan')):.2f} by Ney's formula, backing off to the "
        "Kneser-Ney bigram of all reviews) under a *class trigram*: counts of (cell of the word two back, "
        "previous word, next word), where the cells are a VoronoiPartition of the word vectors "
        f"({c['word_cells']} cells; the word two back is known only up to its neighbourhood in the embedding), "
        f"discount {st.get('trigram_discount', float('nan')):.2f}, backing off to the label bigram.",
        "- **Spectral map.** Context features of each position: the low-frequency DCT blocks (spectral "
        f"transform) of the previous {c['context']} word vectors (PPMI-SVD, fitted on the training reviews), the "
        "last word's vector, label_weight x one-hot(label) (the paper's Z = [P_x; alpha P_y]) and the position. "
        "A ridge "
        f"least-squares map with a reduced-rank output (rank {c['n_components']}), one per cell of a "
        f"VoronoiPartition of the features ({st['n_cells']} cells) shrunk to a global map, fits what the count "
        "model misses (one-hot next word minus the count model's distribution, in the output space: the first "
        "Newton step of a log-linear correction of the count model).",
        "- **Probabilities.** softmax(a x spectral score + b x log unigram + c x log count probability), "
        "(a, b, c) by Newton's method on 2,000 training positions.",
        "- **Generation.** Each step scores a shortlist: the "
        f"{c['n_candidates']} likeliest followers of the class-trigram context and of the previous word under "
        f"the label, the {c['n_candidates'] // 2} likeliest words overall and the end marker (it held "
        f"{m['shortlist_mass']:.1%} of the model's probability on test positions). Nucleus sampling "
        f"(temperature {st['temperature']}, top_p {st['top_p']}), no 4-gram twice in a review, the end marker "
        f"only after . ! ?, and label guidance g = {c.get('guidance', 0.0)} (logits L_y + g (L_y - L_other), as "
        "classifier-free guidance; it does not change the likelihood).",
        "",
        "What is the model's own and what is counted: the previous word enters exactly (bigram counts), the word "
        "before it only through its Voronoi cell, and everything older, the position and the label beyond its "
        "bigram counts only through the spectral map. The reference it is compared with is the label-conditioned "
        "Kneser-Ney *word* trigram (`KneserNeyLM(order=3)`), which the composer does not contain; the fluency "
        "judge of the generated text is another word trigram again (`benchmarks/composer_judge.py`: modified "
        "Kneser-Ney with three discounts per order, no labels, an open vocabulary of every training word seen "
        "twice, written apart from veob).",
        "",
        f"## Results ({st['n_train']:,} training reviews, {st['n_generate']} reviews per sentiment, "
        f"temperature {st['temperature']}, top_p {st['top_p']}, random_state {st['seed']})",
        "",
        format_table(result),
        "",
        f"Perplexity on all {st['n_test']:,} test reviews ({ppl['n_tokens']:,} tokens, true labels, vocabulary of "
        f"{c['max_vocab']:,} words with `<unk>`). The interpolation weight was chosen on the first 10 % of those "
        "reviews (shuffled). The judge's perplexity of the real test reviews is "
        f"{m['judge_real_perplexity']:.1f} (its vocabulary is larger than the composer's, so real reviews pay for "
        "rare words the composer never writes). The Kneser-Ney column under the generation metrics is the trigram "
        "model sampled the same way (dense distributions, no shortlist). The sentiment judge (TF-IDF 1-2 grams + "
        f"logistic regression on the training reviews) scores {m['judge_test_accuracy']:.3f} on the test reviews. "
        f"Machine: {mach['cpu_count']} cores shared with other jobs, load average "
        f"{', '.join(f'{x:.1f}' for x in mach['load_average'])} at the end of the run, so the times are upper "
        "bounds.",
        "",
        f"### What each part gives (perplexity on {ppl['ablation_n_reviews']:,} of the test reviews)",
        "",
        "| model | perplexity | / Kneser-Ney trigram |",
        "|---|---|---|",
    ]
    kn3 = ppl["ablation"]["Kneser-Ney trigram"]
    parts += [f"| {name} | {v:.1f} | {v / kn3:.2f} |" for name, v in ppl["ablation"].items()]
    parts += ["", "## Generated reviews (the first three of each sentiment)", ""]
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
    parser.add_argument("--model", default=None, help="load this fitted composer instead of fitting (no fit time)")
    parser.add_argument("--docs", default=None, help="write the markdown report (docs/composer.md) here")
    args = parser.parse_args(argv)
    result, composer = run(args.data, n_train=args.n_train, n_test=args.n_test, n_generate=args.n_generate,
                           temperature=args.temperature, top_p=args.top_p, composer_params=json.loads(args.params),
                           log=lambda *a: print(*a, file=sys.stderr, flush=True), return_model=True,
                           model=args.model, save_model=args.save_model)
    print(format_table(result))
    for label, texts in result["examples"].items():
        print(f"\n{label}:")
        for t in texts:
            print(" -", t[:500])
    if args.docs:
        command = "VEOB_DATA=../shared/data python benchmarks/composer_metrics.py " + " ".join(
            a for a in (argv if argv is not None else sys.argv[1:]))
        tmp = f"{args.docs}.tmp"
        with open(tmp, "w") as fh:
            fh.write(format_markdown(result, command=command.strip()))
        os.replace(tmp, args.docs)
    if args.out:
        tmp = f"{args.out}.tmp"
        with open(tmp, "w") as fh:
            json.dump(result, fh, indent=1)
        os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
