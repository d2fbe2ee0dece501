"""``veob pendigits`` on a tiny synthetic pendigits archive (and its user errors)."""

import io
import json
import tarfile

import numpy as np
import pytest

from veob.cli import main
from veob.cli._cmd_pendigits import format_table, resample_lengths


def _digit_lines(n_per_class, seed):
    """Lines in the UCI layout: 8 (x, y) points scaled to 0-100, then the class (3 shapes)."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, 8)
    shapes = [np.column_stack([np.cos(2 * np.pi * t), np.sin(2 * np.pi * t)]),
              np.column_stack([t, np.abs((4 * t) % 2 - 1)]),
              np.column_stack([t, t ** 3])]
    lines = []
    for _ in range(n_per_class):
        for label, shape in enumerate(shapes):
            p = shape + rng.normal(0, 0.04, shape.shape)
            p = (p - p.min(axis=0)) / np.ptp(p, axis=0).max() * 100
            lines.append(",".join(f"{int(round(v)):3d}" for v in p.ravel()) + f",{label:2d}")
    return ("\n".join(lines) + "\n").encode("ascii")


@pytest.fixture()
def data(tmp_path):
    root = tmp_path / "data"
    (root / "pendigits").mkdir(parents=True)
    with tarfile.open(root / "pendigits" / "pendigits.tar.gz", "w:gz") as tar:
        for name, raw in (("pendigits.tra", _digit_lines(40, 0)), ("pendigits.tes", _digit_lines(10, 1))):
            info = tarfile.TarInfo(f"pendigits/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return root


def test_pendigits_table_figures_store_and_report(data, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["pendigits", "--data", str(data), "--out", str(out), "--quiet", "--n-figure", "4"]) == 0
    assert capsys.readouterr().out == ""
    report = json.loads((out / "report.json").read_text())
    methods = [r["method"] for r in report["rows"]]
    assert len(methods) == 3 and "raw 16 coordinates" in methods[0] and "CellIndex(exact=True)" in methods[1]
    assert methods[2] == "TrajectoryClassifier(random_state=0)"
    for row in report["rows"]:
        assert 0.8 <= row["accuracy"] <= 1.0 and row["fit_seconds"] >= 0 and row["predict_seconds"] >= 0
    assert report["rows"][0]["resampled_accuracy"] is None
    for row in report["rows"][1:]:
        assert row["drop_points"] == pytest.approx(100 * (row["accuracy"] - row["resampled_accuracy"]))
    table = (out / "pendigits_table.md").read_text()
    assert table.count("\n") == 5 and "random length 8-64" in table
    for name in ("confusion", "neighbours"):
        assert open(report["figures"][name], "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    chroma = report["chroma"]
    assert chroma["collection"] == "pendigits-trajectories" and chroma["count"] == 150
    assert len(chroma["hits"]) == 5 and all(h["id"].startswith("train-") for h in chroma["hits"])
    assert chroma["hits"][0]["label"] == chroma["query_label"]

    from veob.store import ChromaStore

    stored = ChromaStore(chroma["path"]).get("pendigits-trajectories", ids=["test-0", "train-3"])
    assert sorted((r.id, r.metadata["split"], r.metadata["label"]) for r in stored) == [
        ("test-0", "test", 0), ("train-3", "train", 0)]


def test_prints_the_table(data, tmp_path, capsys):
    assert main(["pendigits", "--data", str(data), "--out", str(tmp_path), "--no-store", "--n-figure", "0"]) == 0
    out = capsys.readouterr().out
    assert "| TrajectoryClassifier(random_state=0) |" in out and "timings:" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["chroma"] is None and "neighbours" not in report["figures"]


def test_resample_lengths_is_seeded_linear_interpolation():
    X = np.arange(40, dtype=float).reshape(5, 4, 2)
    a, b = resample_lengths(X, 8, 64, seed=0), resample_lengths(X, 8, 64, seed=0)
    lengths = np.random.default_rng(0).integers(8, 65, size=5)
    assert [len(p) for p in a] == list(lengths)
    for p, q, x in zip(a, b, X):
        np.testing.assert_array_equal(p, q)
        np.testing.assert_allclose(p[[0, -1]], x[[0, -1]])
        # a straight line in even steps
        np.testing.assert_allclose(np.diff(p, axis=0), np.diff(p, axis=0)[:1].repeat(len(p) - 1, axis=0))


def test_format_table():
    rows = [{"method": "m", "accuracy": 0.98, "resampled_accuracy": 0.97, "drop_points": 1.0,
             "fit_seconds": 1.0, "predict_seconds": 0.5}]
    assert "| m | 98.00 % | 97.00 % | 1.00 | 1.00 + 0.50 |" in format_table(rows, 8, 64)


@pytest.mark.parametrize("argv, message", [
    (["--min-length", "1"], "--min-length 1 must be >= 2"),
    (["--max-length", "4"], "--max-length 4 must be >= --min-length 8"),
    (["--n-figure", "-1"], "--n-figure -1 must be >= 0"),
])
def test_bad_options(argv, message, data, tmp_path, capsys):
    assert main(["pendigits", "--data", str(data), "--out", str(tmp_path)] + argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_missing_and_corrupt_data(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["pendigits", "--data", str(tmp_path / "empty"), "--out", str(tmp_path / "o")]) == 2
    assert "expected pendigits/pendigits.tar.gz" in capsys.readouterr().err
    (tmp_path / "bad" / "pendigits").mkdir(parents=True)
    (tmp_path / "bad" / "pendigits" / "pendigits.tar.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    assert main(["pendigits", "--data", str(tmp_path / "bad"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert "pendigits.tar.gz" in err and "\n" not in err and "Traceback" not in err
