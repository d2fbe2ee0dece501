"""
Experiment protocols (:mod:`veob.experiments`)
==============================================

Experiment protocols reproducing the paper's tables and the seeds'
protocols; not part of the stable API. The ``veob`` command line, the
examples, the benchmarks and docs/ call them; nothing else in ``src/veob``
imports them (a test checks it), so the library never depends on them and
they may change with the experiments they reproduce. To build something,
import the estimators and functions of :mod:`veob`'s other subpackages.

MNIST (paper section 6.6)
-------------------------

.. autosummary::

   evaluate_paper_pipeline  -- 2-D DCT -> SVD -> JointEmbeddingClassifier with top-1/top-3 and step timings
   evaluate_patch_pipeline  -- PatchEmbedder -> LeastSquaresClassifier with top-1 and step timings

IMDB sentiment (the BiLSTM/GloVe seed notebook)
-----------------------------------------------

.. autosummary::

   run_imdb_protocol      -- experiments (a)-(e) and the default model, timed
   format_imdb_table      -- the results beside the seed's, as Markdown
   seed_validation_split  -- the seed's per-class random.Random(1337) 20 % split
   IMDB_EXPERIMENTS       -- experiment id -> (setting, parameters, labelled reviews)
   SEED_IMDB_RESULTS      -- the seed's reported test accuracies

Text tables (paper sections 6.2-6.5)
------------------------------------

.. autosummary::

   PAPER_QUERIES          -- the queries of the paper's tables
   load_unsup_corpus      -- the IMDB reviews as a prepared (and cached) corpus
   fit_orthography        -- section 6.2 in the paper's setting
   fit_context            -- section 6.3, "paper" or "best" preset
   fit_dictionary         -- section 6.4, "paper" or "best" preset
   fit_sentences          -- section 6.5, "paper" or "best" preset
   word_neighbours        -- nearest words of each query, as tables
   sentence_neighbours    -- nearest corpus sentences of each query, as tables
   format_word_tables     -- word tables side by side, as text
   format_sentence_tables -- sentence tables, as text

Proxy evaluation sets from the dictionary (docs/text.md)
--------------------------------------------------------

.. autosummary::

   hold_out_pairs         -- remove a random share of synonym/antonym pairs from the entries
   similarity_pairs       -- graded similarity proxy (synonyms > hypernyms > associated > antonyms)
   relatedness_pairs      -- graded relatedness proxy (synonyms > hypernyms > definition words > random)
   sentence_pairs         -- graded sentence-similarity proxy from the example sentences
   split_by_word          -- deterministic validation / held-out split of pairs
"""

import warnings

from ._image_pipelines import evaluate_paper_pipeline, evaluate_patch_pipeline
from ._imdb import IMDB_EXPERIMENTS, SEED_IMDB_RESULTS, format_imdb_table, run_imdb_protocol, seed_validation_split
from ._text_pipelines import (
    PAPER_QUERIES,
    fit_context,
    fit_dictionary,
    fit_orthography,
    fit_sentences,
    format_sentence_tables,
    format_word_tables,
    load_unsup_corpus,
    sentence_neighbours,
    word_neighbours,
)
from ._text_proxies import hold_out_pairs, relatedness_pairs, sentence_pairs, similarity_pairs, split_by_word

__all__ = [
    "IMDB_EXPERIMENTS",
    "PAPER_QUERIES",
    "SEED_IMDB_RESULTS",
    "evaluate_paper_pipeline",
    "evaluate_patch_pipeline",
    "fit_context",
    "fit_dictionary",
    "fit_orthography",
    "fit_sentences",
    "format_imdb_table",
    "format_sentence_tables",
    "format_word_tables",
    "hold_out_pairs",
    "load_unsup_corpus",
    "relatedness_pairs",
    "run_imdb_protocol",
    "seed_validation_split",
    "sentence_neighbours",
    "sentence_pairs",
    "similarity_pairs",
    "split_by_word",
    "word_neighbours",
]

#: the release that drops the deprecated re-exports of these names from their old modules
REMOVED_IN = "0.2.0"


def _moved(old_module, name):
    """``veob.experiments.<name>`` for a deprecated import from ``old_module``, with a FutureWarning."""
    warnings.warn(f"{old_module}.{name} moved to veob.experiments.{name} (experiment protocols, not part of the "
                  f"stable API); the old name is removed in veob {REMOVED_IN}: import it from veob.experiments",
                  FutureWarning, stacklevel=3)
    return globals()[name]
