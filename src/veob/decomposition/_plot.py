"""Singular-value curve, as in the paper's figures."""

from __future__ import annotations

import numpy as np

__all__ = ["plot_singular_values"]


def plot_singular_values(s, ax=None, *, n_components=None, log=False, title=None):
    """Plot singular values against their index (the paper's diagrams).

    Parameters
    ----------
    s : array-like of shape (k,)
        Singular values, descending (e.g. ``SVDEmbedder.singular_values_``).
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is created when omitted.
    n_components : int, optional
        Draw a vertical line at the number of components kept.
    log : bool, default=False
        Logarithmic y axis.
    title : str, optional
        Axes title.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from veob import plot_singular_values
    >>> ax = plot_singular_values([5.0, 3.0, 1.0], n_components=2)
    >>> ax.get_xlabel()
    'component'
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plot_singular_values needs matplotlib: pip install 'veob[plot]'") from None
    s = np.asarray(s, dtype=np.float64).ravel()
    if s.size == 0:
        raise ValueError("s is empty; pass at least one singular value")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.2), layout="constrained")
    ax.plot(np.arange(1, s.size + 1), s, marker="." if s.size <= 60 else None, lw=1.2)
    if n_components is not None:
        ax.axvline(n_components, color="0.5", ls="--", lw=0.8, label=f"k = {n_components}")
        ax.legend(frameon=False)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("component")
    ax.set_ylabel("singular value")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    return ax
