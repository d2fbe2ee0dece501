"""Report figures: match grids, confusion matrices, learning curves, saving."""

from __future__ import annotations

import numbers
import os
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .._typing import ArrayLike, PathLike

__all__ = ["plot_confusion_matrix", "plot_learning_curve", "plot_match_grid", "save_figure"]

_WRONG = "#d62728"
_QUERY = "#1f77b4"


def _pyplot(caller):
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(f"{caller} needs matplotlib: pip install 'veob[plot]'") from None
    return plt


def headless_pyplot():
    """``matplotlib.pyplot`` on the non-interactive Agg backend, for callers that only write figure files.

    The one place that sets the backend: the ``veob`` commands and
    :mod:`veob.experiments` call it; the public plotting functions never
    change the backend. ImportError naming the extra without matplotlib.
    """
    try:
        import matplotlib
    except ImportError:
        raise ImportError("figures need matplotlib: pip install 'veob[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _images(images, name, lead, image_shape):
    """Validate a stack of images; returns shape lead + (h, w) or lead + (h, w, c)."""
    arr = np.asarray(images)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} has dtype {arr.dtype}; expected numeric images")
    nlead = len(lead)
    if image_shape is not None:
        if arr.ndim != nlead + 1:
            raise ValueError(
                f"{name} must have shape {lead + ('n_pixels',)} when image_shape is given; got {arr.shape}"
            )
        try:
            arr = arr.reshape(arr.shape[:nlead] + tuple(image_shape))
        except ValueError:
            raise ValueError(
                f"image_shape={tuple(image_shape)} does not match {arr.shape[-1]} values per image in {name}"
            ) from None
    if arr.ndim not in (nlead + 2, nlead + 3) or (arr.ndim == nlead + 3 and arr.shape[-1] not in (3, 4)):
        raise ValueError(
            f"{name} must have shape {lead + ('height', 'width')} or {lead + ('height', 'width', 3)} "
            f"(or flat rows with image_shape=(height, width)); got {arr.shape}"
        )
    for axis, want in enumerate(lead):
        if want is not None and arr.shape[axis] != want:
            raise ValueError(f"{name} has {arr.shape[axis]} entries along axis {axis}; expected {want}")
    if 0 in arr.shape:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return arr


def _optional(values, name, shape):
    if values is None:
        return None
    arr = np.asarray(values)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got {arr.shape}")
    return arr


def _label_text(label, class_names):
    label = label.item() if isinstance(label, np.generic) else label
    if class_names is None:
        return str(label)
    try:
        return str(class_names[label])
    except (KeyError, IndexError, TypeError):
        raise ValueError(f"class_names has no entry for label {label!r}") from None


def _frame(ax, color, width):
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(color is not None)
        if color is not None:
            spine.set_color(color)
            spine.set_linewidth(width)


def plot_match_grid(query_images: ArrayLike, match_images: ArrayLike, *, query_labels: ArrayLike | None = None,
                    match_labels: ArrayLike | None = None, distances: ArrayLike | None = None,
                    class_names: Sequence[str] | Mapping[Any, str] | None = None,
                    image_shape: tuple[int, ...] | None = None, cmap: str = "gray_r", fig: Figure | None = None,
                    title: str | None = None, predicted_labels: ArrayLike | None = None) -> Figure:
    """Queries and their best matches, one row per query (the paper's MNIST figures).

    Parameters
    ----------
    query_images : array-like of shape (n_queries, height, width[, 3])
        The query images (flat rows with ``image_shape``).
    match_images : array-like of shape (n_queries, n_matches, height, width[, 3])
        The matches of each query, best first.
    query_labels : array-like of shape (n_queries,), optional
        True labels of the queries.
    match_labels : array-like of shape (n_queries, n_matches), optional
        Labels of the matches. With ``query_labels``, a match whose label
        differs from its query's is drawn with a red frame and red title.
    distances : array-like of shape (n_queries, n_matches), optional
        Distance of each match to its query, printed under its label.
    class_names : sequence or dict, optional
        Display name of each label (``class_names[label]``).
    image_shape : tuple of int, optional
        ``(height, width)`` or ``(height, width, 3)`` when the images are
        given as flat rows.
    cmap : str, default="gray_r"
        Colormap of grey-level images (dark ink on white, like the paper).
    fig : matplotlib Figure, optional
        Figure to draw into (cleared first); a new one is created when
        omitted, sized for the grid.
    title : str, optional
        Figure title.
    predicted_labels : array-like of shape (n_queries,), optional
        The label a model predicted for each query, printed with the true
        one above the row (``true 4 / predicted 9``, red when they differ):
        a row's neighbours alone do not show what the classifier decided.

    Returns
    -------
    fig : matplotlib Figure

    See Also
    --------
    save_figure : Write the figure to a PNG.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from veob.plotting import plot_match_grid, save_figure
    >>> rng = np.random.default_rng(0)
    >>> fig = plot_match_grid(rng.random((2, 8, 8)), rng.random((2, 3, 8, 8)),
    ...                       query_labels=[1, 2], match_labels=[[1, 1, 7], [2, 3, 2]],
    ...                       distances=rng.random((2, 3)))
    >>> len(fig.axes)
    8
    >>> fig.axes[3].title.get_color()  # the wrong match of the first query
    '#d62728'
    >>> fig = plot_match_grid(rng.random((1, 8, 8)), rng.random((1, 2, 8, 8)), query_labels=[4],
    ...                       predicted_labels=[9])
    >>> fig.axes[0].get_title(), fig.axes[0].title.get_color()
    ('true 4\\npredicted 9', '#d62728')
    """
    Q = _images(query_images, "query_images", (None,), image_shape)
    n_q = Q.shape[0]
    M = _images(match_images, "match_images", (n_q, None), image_shape)
    k = M.shape[1]
    if M.shape[2:] != Q.shape[1:]:
        raise ValueError(f"match_images hold images of shape {M.shape[2:]}, the queries {Q.shape[1:]}")
    q_lab = _optional(query_labels, "query_labels", (n_q,))
    m_lab = _optional(match_labels, "match_labels", (n_q, k))
    dist = _optional(distances, "distances", (n_q, k))
    pred = _optional(predicted_labels, "predicted_labels", (n_q,))
    if dist is not None:
        dist = dist.astype(np.float64)
    plt = _pyplot("plot_match_grid")
    head = 0.45 if title else 0.0  # inches above the grid for the title
    height = (1.35 if pred is not None else 1.2) * n_q + 0.3 + head
    if fig is None:
        fig = plt.figure(figsize=(1.05 * (k + 1.2), height))
    else:
        fig.clear()
    grid = fig.add_gridspec(n_q, k + 2, width_ratios=[1, 0.18] + [1] * k, wspace=0.08, hspace=0.5,
                            left=0.02, right=0.98, bottom=0.08 / fig.get_figheight(),
                            top=1 - (head + 0.3) / fig.get_figheight())
    gray = Q.ndim == 3
    for i in range(n_q):
        ax = fig.add_subplot(grid[i, 0])
        ax.imshow(Q[i], cmap=cmap if gray else None, interpolation="nearest")
        _frame(ax, _QUERY, 2.0)
        text, color = "query", _QUERY
        if q_lab is not None:
            text += f": {_label_text(q_lab[i], class_names)}"
        if pred is not None:
            text = (f"true {_label_text(q_lab[i], class_names)}\n" if q_lab is not None else "") + \
                f"predicted {_label_text(pred[i], class_names)}"
            if q_lab is not None and pred[i] != q_lab[i]:
                color = _WRONG
        ax.set_title(text, fontsize=8, color=color)
        for j in range(k):
            ax = fig.add_subplot(grid[i, j + 2])
            ax.imshow(M[i, j], cmap=cmap if gray else None, interpolation="nearest")
            wrong = q_lab is not None and m_lab is not None and m_lab[i, j] != q_lab[i]
            color = _WRONG if wrong else "black"
            _frame(ax, _WRONG if wrong else None, 2.0)
            lines = []
            if m_lab is not None:
                lines.append(_label_text(m_lab[i, j], class_names))
            if dist is not None:
                lines.append(f"d={dist[i, j]:.3g}")
            if lines:
                ax.set_title("\n".join(lines) if len(lines[0]) > 6 else "  ".join(lines),
                             fontsize=7, color=color)
    if title:
        fig.suptitle(title, fontsize=9, y=1 - 0.12 / fig.get_figheight(), va="top")
    return fig


def plot_confusion_matrix(cm: ArrayLike, class_names: Sequence[str] | None = None, normalize: bool = False, *,
                          ax: Axes | None = None, cmap: str = "Blues", title: str | None = None) -> Axes:
    r"""Draw a confusion matrix (rows: true class, columns: predicted class).

    Parameters
    ----------
    cm : array-like of shape (n_classes, n_classes)
        Counts, e.g. from ``sklearn.metrics.confusion_matrix``; entry
        ``(i, j)`` counts samples of class i predicted as class j.
    class_names : sequence of str, optional
        Tick labels (default: 0 .. n_classes - 1).
    normalize : bool, default=False
        Divide each row by its sum, so a cell is the fraction of class i
        predicted as j and the diagonal is the per-class recall.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is created when omitted.
    cmap : str, default="Blues"
        Colormap.
    title : str, optional
        Axes title; default states the overall accuracy
        :math:`\sum_i cm_{ii} / \sum_{ij} cm_{ij}`.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from veob.plotting import plot_confusion_matrix
    >>> ax = plot_confusion_matrix([[8, 2], [1, 9]], class_names=["cat", "dog"])
    >>> ax.get_title()
    'accuracy 0.850'
    >>> [t.get_text() for t in ax.texts]
    ['8', '2', '1', '9']
    """
    arr = np.asarray(cm)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"cm has dtype {arr.dtype}; expected counts")
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise ValueError(f"cm must be a non-empty square matrix; got shape {arr.shape}")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise ValueError("cm must hold finite non-negative counts")
    n = arr.shape[0]
    if class_names is not None:
        class_names = [str(c) for c in class_names]
        if len(class_names) != n:
            raise ValueError(f"class_names has {len(class_names)} names; cm has {n} classes")
    else:
        class_names = [str(i) for i in range(n)]
    if not isinstance(normalize, (bool, np.bool_)):
        raise TypeError(f"normalize={normalize!r} must be True or False")
    total = arr.sum()
    accuracy = np.trace(arr) / total if total > 0 else 0.0
    shown = arr
    if normalize:
        rows = arr.sum(axis=1, keepdims=True)
        shown = np.divide(arr, rows, out=np.zeros_like(arr), where=rows > 0)
    plt = _pyplot("plot_confusion_matrix")
    if ax is None:
        side = min(2.2 + 0.45 * n, 12.0)
        _, ax = plt.subplots(figsize=(side + 0.8, side), layout="constrained")
    vmax = 1.0 if normalize else max(shown.max(), 1.0)
    image = ax.imshow(shown, cmap=cmap, vmin=0.0, vmax=vmax, interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    if n <= 30:
        threshold = vmax / 2.0
        for i in range(n):
            for j in range(n):
                v = shown[i, j]
                text = f"{v:.2f}" if normalize else f"{int(round(v))}" if v == round(v) else f"{v:.3g}"
                ax.text(j, i, text, ha="center", va="center", fontsize=8 if n <= 12 else 6,
                        color="white" if v > threshold else "black")
    ax.set_xticks(range(n), class_names, rotation=45 if max(map(len, class_names)) > 3 else 0,
                  ha="right" if max(map(len, class_names)) > 3 else "center")
    ax.set_yticks(range(n), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title if title is not None else f"accuracy {accuracy:.3f}")
    return ax


def _curve(values, name, n):
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (n,):
        raise ValueError(f"{name} has {arr.size} values; sizes has {n}")
    return arr


def plot_learning_curve(sizes: ArrayLike, scores: Mapping[str, ArrayLike], reference: Mapping[str, Any] | None = None,
                        *, ax: Axes | None = None, xlabel: str = "training samples", ylabel: str = "accuracy",
                        log_x: bool = True, title: str | None = None) -> Axes:
    """Scores against training-set size, with reference curves (e.g. a paper's numbers).

    Parameters
    ----------
    sizes : array-like of shape (n_points,)
        Training-set sizes, positive.
    scores : dict of str -> array-like of shape (n_points,)
        One solid curve per name (NaN marks a missing point).
    reference : dict, optional
        Curves drawn dashed, e.g. the seed notebook's BiLSTM numbers. Each
        value is a sequence aligned with ``sizes``, a dict
        ``{size: score}`` with sizes of its own, or a single number (drawn
        as a horizontal dotted line).
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is created when omitted.
    xlabel, ylabel : str
        Axis labels.
    log_x : bool, default=True
        Logarithmic x axis.
    title : str, optional
        Axes title.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from veob.plotting import plot_learning_curve
    >>> ax = plot_learning_curve([100, 500, 1000], {"veob": [0.70, 0.78, 0.80]},
    ...                          reference={"BiLSTM (seed)": {100: 0.634, 500: 0.772, 1000: 0.778},
    ...                                     "GloVe, all data": 0.878})
    >>> [line.get_label() for line in ax.get_lines()]
    ['veob', 'BiLSTM (seed)', 'GloVe, all data']
    """
    x = np.asarray(sizes, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"sizes must be a non-empty 1-D sequence; got shape {x.shape}")
    if not np.isfinite(x).all() or (x <= 0).any():
        raise ValueError("sizes must be finite and positive")
    if not isinstance(scores, dict) or not scores:
        raise TypeError("scores must be a non-empty dict of name -> list of scores")
    curves = {str(name): _curve(v, f"scores[{name!r}]", x.size) for name, v in scores.items()}
    if reference is not None and not isinstance(reference, dict):
        raise TypeError("reference must be a dict of name -> scores, {size: score} or a number")
    refs: dict[str, Any] = {}  # a number, or (sizes, scores)
    for name, v in (reference or {}).items():
        if isinstance(v, numbers.Real):
            refs[str(name)] = float(v)
        elif isinstance(v, dict):
            pts = sorted((float(s), float(val)) for s, val in v.items())
            if not pts:
                raise ValueError(f"reference[{name!r}] is empty")
            refs[str(name)] = (np.array([p[0] for p in pts]), np.array([p[1] for p in pts]))
        else:
            refs[str(name)] = (x, _curve(v, f"reference[{name!r}]", x.size))
    plt = _pyplot("plot_learning_curve")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 3.4), layout="constrained")
    order = np.argsort(x)
    for name, y in curves.items():
        ax.plot(x[order], y[order], marker="o", lw=1.6, label=name)
    for name, v in refs.items():
        if isinstance(v, float):
            ax.axhline(v, ls=":", lw=1.2, color="0.35", label=name)
        else:
            ax.plot(v[0], v[1], marker="s", ls="--", lw=1.2, label=name)
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(frameon=False, fontsize=8)
    return ax


def save_figure(fig: Figure | Axes, path: PathLike, *, dpi: int = 100) -> Path:
    """Write a figure atomically, close it and return the path.

    Parameters
    ----------
    fig : matplotlib Figure or Axes
        The figure (an Axes stands for its figure).
    path : str or path-like
        Destination; the format comes from the suffix (``.png``, ``.svg``,
        ``.pdf``, ...). The folder must exist.
    dpi : int, default=100
        Resolution of raster formats.

    Returns
    -------
    path : pathlib.Path

    Notes
    -----
    The figure is rendered to a temporary file in the same folder and
    renamed into place, so readers never see a half-written image. Raster
    output goes through matplotlib's Agg renderer, whatever the interactive
    backend; the figure is then closed (released by pyplot).

    Examples
    --------
    >>> import os, tempfile
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from veob.plotting import plot_confusion_matrix, save_figure
    >>> ax = plot_confusion_matrix([[5, 1], [0, 6]])
    >>> path = save_figure(ax, os.path.join(tempfile.mkdtemp(), "cm.png"))
    >>> path.read_bytes()[:4]
    b'\\x89PNG'
    """
    figure: Any = getattr(fig, "figure", None) if not hasattr(fig, "savefig") else fig
    if figure is None or not hasattr(figure, "savefig"):
        raise TypeError(f"fig must be a matplotlib Figure or Axes; got {type(fig).__name__}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path={path!r} must be a str or a path-like object")
    path = Path(os.fspath(path)).expanduser()
    fmt = path.suffix[1:].lower()
    supported = figure.canvas.get_supported_filetypes()
    if fmt not in supported:
        allowed = ", ".join("." + s for s in sorted(supported))
        raise ValueError(f"path={str(path)!r}: the suffix must be one of {allowed}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot save to {str(path)!r}: the folder {str(path.parent)!r} does not exist")
    if isinstance(dpi, bool) or not isinstance(dpi, numbers.Real) or not dpi > 0:
        raise ValueError(f"dpi={dpi!r} must be a positive number")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        figure.savefig(tmp, format=fmt, dpi=dpi)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    finally:
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close(figure)
    return path
