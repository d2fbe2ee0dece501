import json
import subprocess
import sys

import pytest

from veob.cli import main


def test_demo_writes_report_and_figure(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "top-1 accuracy" in out and "top-3" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["metrics"]["top3"] >= report["metrics"]["top1"] > 0.9
    png = (tmp_path / "singular_values.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["demo", "--keep", "9"], "--keep 9 must lie in [1, 8]"),
        (["demo", "--components", "abc"], "invalid int value"),
        (["nonsense"], "invalid choice"),
    ],
)
def test_user_errors_exit_2_with_one_line(argv, message, capsys, tmp_path):
    assert main(argv + (["--out", str(tmp_path)] if argv[0] == "demo" else [])) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err


def test_python_dash_m_and_console_script(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "veob", "demo", "--quiet", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert (tmp_path / "report.json").exists()


def test_import_is_light():
    code = (
        "import sys, veob; heavy = {'spacy', 'chromadb', 'dask', 'distributed', 'fbpca', 'PIL', "
        "'matplotlib', 'tqdm'}; print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
