"""
Baselines against the neural seeds (:mod:`veob.baselines`)
===========================================================

Backprop-free models built from veob parts. The runners that reproduce the
seed notebooks' experiments with them are in :mod:`veob.experiments`.

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

The IMDB protocol of the BiLSTM/GloVe seed notebook (``run_imdb_protocol``,
``format_imdb_table``, ``seed_validation_split``, ``IMDB_EXPERIMENTS``,
``SEED_IMDB_RESULTS``) moved to :mod:`veob.experiments`; importing it from
here still works until veob 0.2.0, with a FutureWarning.
"""

from ._image import ImageClassifier
from ._sentiment import SentimentClassifier
from ._trajectory import TrajectoryClassifier

__all__ = [
    "ImageClassifier",
    "SentimentClassifier",
    "TrajectoryClassifier",
]

_MOVED_TO_EXPERIMENTS = ("IMDB_EXPERIMENTS", "SEED_IMDB_RESULTS", "format_imdb_table", "run_imdb_protocol",
                         "seed_validation_split")


def __getattr__(name):
    if name in _MOVED_TO_EXPERIMENTS:  # deprecated re-export, removed in veob 0.2.0
        from .. import experiments

        return experiments._moved(__name__, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
