"""First-run numba compilation is announced once and kept out of the timings; ``veob warmup`` (issue 19)."""

import os
import subprocess
import sys
import textwrap

_RUN = textwrap.dedent("""
    import json, types
    import numpy as np
    from veob import spectral_transform
    from veob.cli._common import warm_up

    args = types.SimpleNamespace(quiet=False)
    seqs = [np.random.default_rng(0).random((n, 3)) for n in (2, 5)]
    warmup = {}
    warm_up(args, warmup, ("veob.spectral._kernels",), lambda: spectral_transform(seqs))
    print(json.dumps(warmup))
""")


def _run(code, cache):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, proc.stderr


def test_first_run_compilation_is_announced_once_and_timed_apart(tmp_path):
    out, first = _run(_RUN, tmp_path / "numba-cache")  # an empty cache: the kernel compiles
    assert first.count("compiling kernels, first run only") == 1  # on stderr: stdout stays the output
    assert "compiled 1 kernels in" in first and "kept out of the timings" in first
    assert "compil" not in out
    out, again = _run(_RUN, tmp_path / "numba-cache")  # loaded from the cache: nothing said
    assert "compiling" not in again and "compiled" not in again
    assert '"warmup"' in out


def test_warmup_command_reports_what_it_compiled(capsys):
    from veob.cli import main

    assert main(["warmup"]) == 0  # the kernels are cached by the suite's earlier tests, or compiled here
    out = capsys.readouterr().out
    assert "veob warmup:" in out and "demo (spectral, SVD, cell search)" in out and "done in" in out


def test_any_command_says_once_when_it_compiles(tmp_path):
    # a command without a warm-up step (query embedding a new word by its spelling) still says so
    import veob
    from veob.text import OrthographyEmbedder

    words = ["cat", "cats", "dog", "dogs", "bus", "buses", "car", "cars"]
    path = veob.save(OrthographyEmbedder(n_components=3, random_state=0).fit(words), tmp_path / "ortho.veob")
    code = f"from veob.cli import main; raise SystemExit(main(['query', '--model', {str(path)!r}, '--text', 'bats']))"
    out, first = _run(code, tmp_path / "numba-cache")
    assert first.count("compiling kernels, first run only") == 1, first
    assert "bats" in out and "compiling" not in out
    out, again = _run(code, tmp_path / "numba-cache")
    assert "compiling" not in again
