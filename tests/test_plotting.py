"""Report figures: valid PNGs, the right marks, clear errors."""

import os
import subprocess
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.image import imread  # noqa: E402

from veob.decomposition import plot_singular_values as decomposition_plot  # noqa: E402
from veob.plotting import (  # noqa: E402
    plot_confusion_matrix,
    plot_learning_curve,
    plot_match_grid,
    plot_singular_values,
    save_figure,
)

PNG = b"\x89PNG\r\n\x1a\n"
RED = "#d62728"


def _png(path):
    data = path.read_bytes()
    assert data[:8] == PNG
    img = imread(path)
    assert img.ndim == 3 and img.shape[0] > 50 and img.shape[1] > 50
    assert img.std() > 0.01  # not a blank canvas
    return img


@pytest.fixture(autouse=True)
def _close_all():
    yield
    plt.close("all")


def test_match_grid_marks_wrong_matches_and_saves_png(tmp_path):
    rng = np.random.default_rng(0)
    queries = rng.random((3, 8, 8))
    matches = rng.random((3, 4, 8, 8))
    q_lab = np.array([1, 2, 3])
    m_lab = np.array([[1, 1, 7, 1], [2, 2, 2, 2], [5, 3, 3, 9]])
    dist = np.sort(rng.random((3, 4)), axis=1)
    fig = plot_match_grid(queries, matches, query_labels=q_lab, match_labels=m_lab, distances=dist,
                          class_names={i: f"c{i}" for i in range(10)}, title="matches")
    assert len(fig.axes) == 3 * 5
    titles = [ax.get_title() for ax in fig.axes]
    red = [ax for ax in fig.axes if ax.title.get_color() == RED]
    assert len(red) == int((m_lab != q_lab[:, None]).sum()) == 3
    assert all(ax.spines["top"].get_visible() and ax.spines["top"].get_edgecolor()[:3] != (0, 0, 0) for ax in red)
    assert "query: c1" in titles[0] and f"d={dist[0, 0]:.3g}" in titles[1] and "c1" in titles[1]
    _png(save_figure(fig, tmp_path / "grid.png"))


def test_match_grid_flat_rows_rgb_and_no_labels(tmp_path):
    rng = np.random.default_rng(1)
    fig = plot_match_grid(rng.random((2, 64)), rng.random((2, 3, 64)), image_shape=(8, 8))
    assert len(fig.axes) == 8 and all(ax.title.get_color() != RED for ax in fig.axes)
    fig = plot_match_grid(rng.random((1, 6, 6, 3)), rng.random((1, 2, 6, 6, 3)), distances=[[0.1, 0.2]])
    _png(save_figure(fig, tmp_path / "rgb.png"))
    # drawing into an existing figure clears it first
    again = plot_match_grid(rng.random((1, 4, 4)), rng.random((1, 1, 4, 4)), fig=fig)
    assert again is fig and len(fig.axes) == 2


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"match_images": np.zeros((3, 2, 8, 8))}, "entries along axis 0"),
        ({"match_images": np.zeros((2, 2, 7, 8))}, "images of shape"),
        ({"query_images": np.zeros((2, 8))}, "must have shape"),
        ({"query_labels": [1, 2, 3]}, r"query_labels must have shape \(2,\)"),
        ({"distances": np.zeros((2, 3))}, r"distances must have shape \(2, 2\)"),
        ({"query_images": np.full((2, 8, 8), np.nan)}, "NaN"),
        ({"image_shape": (4, 4)}, "must have shape"),
        ({"query_labels": [0, 1], "class_names": ["zero"]}, "no entry for label 1"),
    ],
)
def test_match_grid_errors(kwargs, message):
    args = {"query_images": np.zeros((2, 8, 8)), "match_images": np.zeros((2, 2, 8, 8)), **kwargs}
    with pytest.raises(ValueError, match=message):
        plot_match_grid(args.pop("query_images"), args.pop("match_images"), **args)


def test_confusion_matrix_counts_and_normalized(tmp_path):
    cm = np.array([[8, 2, 0], [1, 9, 0], [0, 0, 0]])
    ax = plot_confusion_matrix(cm, class_names=["cat", "dog", "none"])
    assert [t.get_text() for t in ax.texts][:3] == ["8", "2", "0"]
    assert ax.get_title() == "accuracy 0.850" and ax.get_xlabel() == "predicted"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cat", "dog", "none"]
    _png(save_figure(ax, tmp_path / "cm.png"))
    ax = plot_confusion_matrix(cm, normalize=True, title="rows")
    texts = [t.get_text() for t in ax.texts]
    assert texts[:3] == ["0.80", "0.20", "0.00"] and texts[-1] == "0.00"  # empty row stays 0
    assert ax.get_title() == "rows"
    big = plot_confusion_matrix(np.eye(40, dtype=int))
    assert len(big.texts) == 0  # too many classes to annotate


@pytest.mark.parametrize(
    "cm, kwargs, error, message",
    [
        ([[1, 2, 3]], {}, ValueError, "square"),
        ([[1, -1], [0, 1]], {}, ValueError, "non-negative"),
        ([[1, 0], [0, 1]], {"class_names": ["a"]}, ValueError, "class_names has 1"),
        ([["a"]], {}, TypeError, "dtype"),
        ([[1, 0], [0, 1]], {"normalize": "rows"}, TypeError, "normalize="),
    ],
)
def test_confusion_matrix_errors(cm, kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_confusion_matrix(cm, **kwargs)


def test_learning_curve_with_references(tmp_path):
    sizes = [100, 500, 1000, 5000]
    ax = plot_learning_curve(sizes, {"veob": [0.70, 0.78, np.nan, 0.83]},
                             reference={"BiLSTM (seed)": [0.634, 0.772, 0.778, 0.786],
                                        "points": {200: 0.7, 50: 0.6},
                                        "GloVe, all data": 0.878},
                             title="IMDB")
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines) == ["veob", "BiLSTM (seed)", "points", "GloVe, all data"]
    assert lines["BiLSTM (seed)"].get_linestyle() == "--"
    assert list(lines["points"].get_xdata()) == [50.0, 200.0]  # sorted by size
    assert list(lines["GloVe, all data"].get_ydata()) == [0.878, 0.878]
    assert ax.get_xscale() == "log"
    _png(save_figure(ax, tmp_path / "curve.png"))


@pytest.mark.parametrize(
    "sizes, scores, reference, error, message",
    [
        ([100, 200], {"a": [0.5]}, None, ValueError, "has 1 values; sizes has 2"),
        ([], {"a": []}, None, ValueError, "non-empty"),
        ([0, 10], {"a": [0.1, 0.2]}, None, ValueError, "positive"),
        ([10], {}, None, TypeError, "non-empty dict"),
        ([10], {"a": [0.1]}, [0.2], TypeError, "reference must be a dict"),
        ([10], {"a": [0.1]}, {"r": [0.1, 0.2]}, ValueError, r"reference\['r'\]"),
    ],
)
def test_learning_curve_errors(sizes, scores, reference, error, message):
    with pytest.raises(error, match=message):
        plot_learning_curve(sizes, scores, reference)


def test_singular_values_is_the_decomposition_function(tmp_path):
    assert plot_singular_values is decomposition_plot
    ax = plot_singular_values(np.geomspace(10, 0.1, 30), n_components=8, log=True)
    _png(save_figure(ax, tmp_path / "sv.png"))


def test_save_figure_is_atomic_closes_and_validates(tmp_path, monkeypatch):
    fig = plot_match_grid(np.random.default_rng(0).random((1, 5, 5)), np.random.default_rng(1).random((1, 2, 5, 5)))
    num = fig.number
    path = save_figure(fig, tmp_path / "f.png", dpi=50)
    assert path == tmp_path / "f.png" and not plt.fignum_exists(num)
    assert os.listdir(tmp_path) == ["f.png"]
    before = path.read_bytes()
    _, ax = plt.subplots()
    ax.plot([1, 2])

    def broken(*args, **kwargs):
        raise RuntimeError("renderer failed")

    monkeypatch.setattr(ax.figure, "savefig", broken)
    with pytest.raises(RuntimeError, match="renderer failed"):
        save_figure(ax, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["f.png"]
    svg = save_figure(plt.subplots()[0], tmp_path / "f.svg")
    assert svg.read_text().lstrip().startswith("<?xml")
    with pytest.raises(ValueError, match="suffix must be one of"):
        save_figure(plt.subplots()[0], tmp_path / "f.nope")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_figure(plt.subplots()[0], tmp_path / "missing" / "f.png")
    with pytest.raises(TypeError, match="Figure or Axes"):
        save_figure("figure", tmp_path / "f.png")
    with pytest.raises(ValueError, match="dpi=0"):
        save_figure(plt.subplots()[0], tmp_path / "g.png", dpi=0)


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"plot_confusion_matrix needs matplotlib: pip install 'veob\[plot\]'"):
        plot_confusion_matrix([[1]])


def test_import_of_veob_plotting_is_light():
    code = "import sys, veob.plotting; print('matplotlib' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_match_grid_prints_true_and_predicted_label_above_each_row(tmp_path):
    # issue 19: rows of wrongly classified queries showed neighbours of the right class and no prediction
    rng = np.random.default_rng(1)
    names = ["zero", "one", "two"]
    fig = plot_match_grid(rng.random((3, 8, 8)), rng.random((3, 2, 8, 8)), query_labels=[0, 1, 2],
                          match_labels=[[0, 0], [1, 2], [2, 2]], predicted_labels=[2, 1, 0], class_names=names)
    heads = [fig.axes[i * 3] for i in range(3)]  # the query image starts each row: 1 query + 2 matches
    assert [ax.get_title() for ax in heads] == ["true zero\npredicted two", "true one\npredicted one",
                                                "true two\npredicted zero"]
    assert [ax.title.get_color() for ax in heads] == ["#d62728", "#1f77b4", "#d62728"]
    save_figure(fig, tmp_path / "grid.png")
    with pytest.raises(ValueError, match=r"predicted_labels must have shape \(3,\)"):
        plot_match_grid(rng.random((3, 8, 8)), rng.random((3, 2, 8, 8)), predicted_labels=[1, 2])
