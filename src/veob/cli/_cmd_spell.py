"""``veob spell``: correct misspelled words with veob.text.SpellingCorrector."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from ._common import UsageError, say
from ._sources import check_sources, read_texts, source_key

HELP = ("correct misspelled words (prints 'wrong -> right') with veob.text.SpellingCorrector, fitted on the "
        "words of text files, folders of .txt files or the IMDB archive; the model can be kept in --model DIR")

def add_arguments(parser):
    parser.add_argument("words", nargs="*", metavar="WORD", help="words to correct")
    parser.add_argument("--vocab-from", nargs="+", required=True, metavar="PATH",
                        help="text files, folders (every *.txt below them) or the IMDB archive aclImdb.tar.gz / "
                             "aclImdb folder (all 100,000 reviews): the vocabulary and its counts")
    parser.add_argument("--min-count", type=int, default=3,
                        help="keep words seen at least this many times (default: 3)")
    parser.add_argument("--file", default=None, metavar="FILE", help="more words to correct, one a line")
    parser.add_argument("--model", default=None, metavar="DIR",
                        help="keep the fitted model in DIR (reused while the sources and --min-count are unchanged)")
    parser.add_argument("--candidates", type=int, default=0, metavar="K",
                        help="also print the K best candidates of each word with their scores")



def _sources(paths):
    """[(kind, path)] of --vocab-from; UsageError for a missing or empty source."""
    try:
        return check_sources(paths, "--vocab-from")
    except UsageError as exc:
        raise UsageError(f"{exc} (words to correct go before --vocab-from or after --)") from None


def model_key(sources, min_count):
    """A JSON key of the sources (paths, sizes, modification times), --min-count and the veob version."""
    return source_key(sources, min_count=min_count)


def fit_speller(sources, min_count, *, seed=0, quiet=False, log=print):
    """A SpellingCorrector fitted on the words of the sources seen at least ``min_count`` times."""
    from ..text import SpellingCorrector, prepare_corpus

    texts = read_texts(sources, flag="--vocab-from", log=log)
    start = time.perf_counter()
    try:
        corpus = prepare_corpus(texts, max_tokens=10**9, deduplicate=False, progress=not quiet)
    except ImportError as exc:  # spaCy missing: the message names the extra
        raise UsageError(str(exc)) from None
    n_kept = int((corpus.counts >= min_count).sum())
    if n_kept == 0:
        raise UsageError(f"no word of the sources is seen {min_count} times or more "
                         f"({len(corpus.words):,} distinct words): lower --min-count or add text")
    log(f"{corpus.n_tokens:,} tokens, {len(corpus.words):,} distinct; {n_kept:,} seen >= {min_count} times "
        f"({time.perf_counter() - start:.1f} s)")
    start = time.perf_counter()
    speller = SpellingCorrector(min_count=min_count, random_state=seed).fit(corpus)
    log(f"fitted in {time.perf_counter() - start:.1f} s ({speller.index_.n_cells_} cells)")
    return speller


def read_words(args):
    words = list(args.words)
    if args.file is not None:
        path = Path(args.file).expanduser()
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise UsageError(f"--file {str(path)!r} does not exist: give a text file with one word a line") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read --file {str(path)!r}: {getattr(exc, 'strerror', None) or exc}") from None
        words += [line.strip() for line in lines if line.strip()]
    if not words:
        raise UsageError("no words to correct: give WORD... or --file FILE (one word a line)")
    return words


def run(args):
    from .. import load, save

    if args.min_count < 1:
        raise UsageError(f"--min-count {args.min_count} must be >= 1")
    if args.candidates < 0:
        raise UsageError(f"--candidates {args.candidates} must be >= 0")
    sources = _sources(args.vocab_from)
    words = read_words(args)
    def log(*a):
        say(args, *a)

    speller = None
    model_file = None
    if args.model is not None:
        folder = Path(args.model).expanduser()
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"--model {str(folder)!r} is a file: give a folder for the fitted model")
        key = model_key(sources, args.min_count)
        model_file = folder / f"spelling-{hashlib.sha256(key.encode()).hexdigest()[:16]}.veob"
        if model_file.is_file():
            try:
                speller = load(model_file)
                log(f"loaded {model_file}")
            except ValueError as exc:
                log(f"warning: {exc}; fitting again")
    if speller is None:
        speller = fit_speller(sources, args.min_count, seed=args.seed, quiet=args.quiet, log=log)
        if model_file is not None:
            try:
                model_file.parent.mkdir(parents=True, exist_ok=True)
                save(speller, model_file, compress=True)
                log(f"saved {model_file}")
            except OSError as exc:
                raise UsageError(f"cannot write the model to {str(model_file)!r}: {exc.strerror or exc}") from None
    try:
        start = time.perf_counter()
        fixed = speller.correct(words, progress=not args.quiet)
        seconds = time.perf_counter() - start
        lists = speller.candidates(words, k=args.candidates) if args.candidates else None
    except (TypeError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    for i, (wrong, right) in enumerate(zip(words, fixed)):
        print(f"{wrong} -> {right}")
        if lists is not None:
            print("    " + ", ".join(f"{w} ({s:.2f})" for w, s in lists[i]))
    log(f"{len(words):,} word{'s' if len(words) != 1 else ''} corrected in {seconds:.3f} s")
    return 0
