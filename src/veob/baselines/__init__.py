"""
Baselines against the neural seeds (:mod:`veob.baselines`)
===========================================================

Backprop-free models built from veob parts, and runners that reproduce the
seed notebooks' experiments with them.

Text classification
-------------------

.. autosummary::

   SentimentClassifier    -- NB n-gram scores + SVD embedding + closed-form ridge head

Images (the Dogs vs Cats CNN seed)
----------------------------------

.. autosummary::

   ImageClassifier        -- multi-scale colour PatchEmbedder features + closed-form ridge head

Pen trajectories (the TAP seed, on UCI pen digits)
--------------------------------------------------

.. autosummary::

   TrajectoryClassifier   -- spectral transform + SVD embedding + closed-form head, any length

IMDB protocol (the BiLSTM/GloVe seed notebook)
----------------------------------------------

.. autosummary::

   run_imdb_protocol      -- experiments (a)-(e) and the default model, timed
   format_imdb_table      -- the results beside the seed's, as Markdown
   seed_validation_split  -- the seed's per-class random.Random(1337) 20 % split
   IMDB_EXPERIMENTS       -- experiment id -> (setting, parameters, labelled reviews)
   SEED_IMDB_RESULTS      -- the seed's reported test accuracies
"""

from ._image import ImageClassifier
from ._imdb_protocol import (
    IMDB_EXPERIMENTS,
    SEED_IMDB_RESULTS,
    format_imdb_table,
    run_imdb_protocol,
    seed_validation_split,
)
from ._sentiment import SentimentClassifier
from ._trajectory import TrajectoryClassifier

__all__ = [
    "IMDB_EXPERIMENTS",
    "ImageClassifier",
    "SEED_IMDB_RESULTS",
    "SentimentClassifier",
    "TrajectoryClassifier",
    "format_imdb_table",
    "run_imdb_protocol",
    "seed_validation_split",
]
