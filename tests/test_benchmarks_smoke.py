"""CI smoke test: ``pytest benchmarks/ --quick`` runs green.

The benchmarks are not part of the test run; this test runs them once in
quick mode (small inputs, one round each) in a child pytest, without
``VEOB_DATA`` so that they use their synthetic or bundled inputs and the
whole run stays within about two minutes. Full mode is run by hand
(``pytest benchmarks/``, see docs/benchmarks.md).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("pytest_benchmark")


def test_quick_benchmarks_pass(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "VEOB_DATA"}
    out = tmp_path / "quick.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "benchmarks", "--quick", "-q", "-p", "no:cacheprovider",
         f"--benchmark-json={out}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert out.stat().st_size > 0
    # the report script turns the saved JSON into the markdown table
    report = tmp_path / "bench.md"
    proc = subprocess.run([sys.executable, "-m", "benchmarks.report", str(out), "-o", str(report)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "| " in report.read_text()
