"""``veob encoder fit``: fit a TextEncoder on a corpus of text files (or the IMDB archive) and save it."""

from __future__ import annotations

import time
from pathlib import Path

from ._common import UsageError, data_root, say, show_progress
from ._sources import check_sources, iter_documents

HELP = ("fit a veob.text.TextEncoder on your texts (text files, folders or .tar.gz of them, or the IMDB "
        "archive) and save it as a model folder for encode, veob index and Chroma")


def add_arguments(parser):
    sub = parser.add_subparsers(dest="action", metavar="action")
    fit = sub.add_parser("fit", help="fit on a corpus and write the model folder (--out)",
                         description="Fit a TextEncoder on a corpus and write the model folder given by --out.")
    fit.add_argument("--corpus", nargs="+", required=True, metavar="PATH",
                     help="text files (one document each), folders of .txt files, a .tar.gz of them, or the "
                          "IMDB archive aclImdb.tar.gz (all 100,000 reviews)")
    fit.add_argument("--dictionary", nargs="?", const="", default=None, metavar="PATH",
                     help="refine the word vectors with the simple English dictionary (merged.json.gz; without "
                          "a value: $VEOB_DATA/simple_english_dictionary/merged.json.gz)")
    fit.add_argument("--word-dim", type=int, default=1000, metavar="K",
                     help="dimension of the word vectors (default: 1000)")
    fit.add_argument("--components", type=int, default=None, metavar="K",
                     help="output dimension (default: the word dimension)")
    from ._common import add_common_options

    add_common_options(fit)


def _dictionary(args):
    from ..datasets import load_dictionary

    if args.dictionary is None:
        return None, None
    if args.dictionary == "":
        root = data_root(args)
        path = Path(root) / "simple_english_dictionary" / "merged.json.gz"
    else:
        path = Path(args.dictionary).expanduser()
    if not path.exists():
        raise UsageError(f"--dictionary {str(path)!r} does not exist: give the dictionary merged.json.gz "
                         "(simple_english_dictionary/ in the shared data)")
    try:
        return load_dictionary(path), path
    except (ValueError, OSError) as exc:
        raise UsageError(f"--dictionary {str(path)!r}: {str(exc).splitlines()[0]}") from None


def _sts_scores(encoder, args):
    """STS Benchmark dev Spearman when $VEOB_DATA (or --data) holds dev_eval/, else None."""
    import numpy as np
    from scipy.stats import spearmanr

    from ..datasets import load_sts

    root = data_root(args, required=False)
    if root is None or not (Path(root) / "dev_eval" / "sts-dev.csv").is_file():
        return None
    a, b, scores = load_sts("dev", Path(root) / "dev_eval")
    sims = np.sum(encoder.encode(a, normalize_embeddings=True) * encoder.encode(b, normalize_embeddings=True), axis=1)
    return round(float(spearmanr(sims, scores)[0]), 4)


def run(args):
    from ..text import TextEncoder

    if getattr(args, "action", None) != "fit":
        raise UsageError("say what to do: veob encoder fit --corpus PATH... --out MODEL_DIR")
    if args.out is None:
        raise UsageError("--out MODEL_DIR is required: the folder the model is written to")
    for flag, value in (("--word-dim", args.word_dim), ("--components", args.components)):
        if value is not None and value < 1:
            raise UsageError(f"{flag} {value} must be >= 1")
    out = Path(args.out).expanduser()
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {str(out)!r} is a file, expected a folder for the model")
    if out.is_dir() and any(out.iterdir()) and not (out / "config.json").is_file():
        raise UsageError(f"--out {str(out)!r} is a folder that holds something else than a TextEncoder: pick a "
                         "new or an empty folder")
    if not out.resolve().parent.is_dir():
        raise UsageError(f"--out {str(out)!r}: the folder {str(out.resolve().parent)!r} does not exist")
    sources = check_sources(args.corpus, "--corpus")
    entries, dict_path = _dictionary(args)
    def log(*a):
        say(args, *a)

    encoder = TextEncoder(dictionary=entries, word_dim=args.word_dim, n_components=args.components,
                          progress=show_progress(args), random_state=args.seed)
    texts = (text for _, text in iter_documents(sources, flag="--corpus", log=log))
    start = time.perf_counter()
    try:
        encoder.fit(texts)
    except ValueError as exc:
        raise UsageError(f"--corpus: {str(exc).splitlines()[0]}") from None
    seconds = time.perf_counter() - start
    info = encoder.fit_info_
    log(f"fitted on {info['n_texts']:,} documents ({info['n_tokens']:,} tokens, {info['n_words']:,} words) in "
        f"{seconds:.1f} s: " + ", ".join(f"{k} {v:.1f} s" for k, v in info["seconds"].items()))
    metadata = {"corpus": [str(p) for _, p in sources], "dictionary": str(dict_path) if dict_path else None,
                "fit_seconds": round(seconds, 1)}
    sts = _sts_scores(encoder, args)
    if sts is not None:
        metadata["STS Benchmark dev (Spearman of cosine)"] = sts
        log(f"STS Benchmark dev: Spearman {sts:.4f}")
    try:
        folder = encoder.save(out, metadata=metadata)
    except OSError as exc:
        raise UsageError(f"cannot write the model to --out {str(out)!r}: {exc.strerror or exc}") from None
    log(f"model: {folder} (dimension {encoder.table_.shape[2]}); try: veob index --model {folder} --docs PATH... "
        "--chroma DIR --collection NAME")
    return 0
