"""
Report figures (:mod:`veob.plotting`)
=====================================

matplotlib figures for reports and examples; matplotlib is imported on
first use (``pip install 'veob[plot]'``). Every function returns the Figure
or Axes it drew, and :func:`save_figure` writes it atomically and closes it.

.. autosummary::

   plot_match_grid        -- queries and their best matches with labels and distances
   plot_confusion_matrix  -- counts or row-normalised fractions, true vs predicted
   plot_learning_curve    -- score against training size, with reference curves
   plot_singular_values   -- the singular-value curve (from :mod:`veob.decomposition`)
   save_figure            -- atomic write (PNG, SVG, PDF), closes the figure
"""

from ..decomposition import plot_singular_values
from ._figures import plot_confusion_matrix, plot_learning_curve, plot_match_grid, save_figure

__all__ = [
    "plot_confusion_matrix",
    "plot_learning_curve",
    "plot_match_grid",
    "plot_singular_values",
    "save_figure",
]
