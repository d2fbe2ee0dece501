"""ruff passes with the configuration of pyproject.toml, and that configuration does catch things.

mypy runs in ``.ci/lint`` (with ruff again), not here: a cold mypy run takes 40 s to minutes on
two shared cores, beyond this suite's budget.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["src", "tests", "benchmarks", "examples"]


def _ruff():
    """The ruff of the running venv (the dev extra installs it), else one on PATH, else skip."""
    here = Path(sys.executable).parent / "ruff"
    found = str(here) if here.exists() else shutil.which("ruff")
    if found is None:
        pytest.skip("ruff is not installed: pip install -e '.[dev]' (or pip install ruff)")
    return found


def _check(*args, cwd=ROOT):
    # --no-cache: leave no .ruff_cache in the checkout
    return subprocess.run([_ruff(), "check", "--no-cache", "--output-format", "concise", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=120)


def test_ruff_passes():
    run = _check(*PATHS)
    assert run.returncode == 0, f"ruff check {' '.join(PATHS)} found:\n{run.stdout}{run.stderr}"


def test_ruff_configuration_catches_each_rule_family(tmp_path):
    # the project's rules, on a file outside the per-file ignores: each family must fire
    bad = tmp_path / "module.py"
    bad.write_text(
        "import sys\nimport os\n\n\n"          # I001 unsorted, F401 unused
        "def public(x):\n"                      # D103 no docstring
        f"    return x  # {'y' * 120}\n"        # E501 past 120 columns
    )
    run = _check("--config", str(ROOT / "pyproject.toml"), str(bad), cwd=tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    for code in ("F401", "I001", "D103", "E501"):
        assert code in run.stdout, f"{code} not reported:\n{run.stdout}"
    long_ok = tmp_path / "ok.py"
    long_ok.write_text('"""Fine."""\n\nX = "' + "y" * 110 + '"\n')  # 117 columns: within the project's 120
    assert _check("--config", str(ROOT / "pyproject.toml"), str(long_ok), cwd=tmp_path).returncode == 0
