"""docs/api.md is generated from the code (scripts/gen_api.py) and every public function has an example."""

import importlib
import importlib.util
import inspect
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OPTIONAL = {"chromadb", "matplotlib"}  # imported by veob.store / veob.plotting


def _gen_api():
    spec = importlib.util.spec_from_file_location("gen_api", ROOT / "scripts" / "gen_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_api_md_is_up_to_date():
    for name in OPTIONAL:
        pytest.importorskip(name, reason=f"the API page documents modules that need {name}")
    gen = _gen_api()
    text = gen.render()
    current = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert current == text, "docs/api.md is out of date: run `PYTHONPATH=src python scripts/gen_api.py`"
    assert gen.main(["--check"]) == 0


def test_gen_api_check_fails_on_a_stale_page(tmp_path):
    gen = _gen_api()
    stale = tmp_path / "api.md"
    stale.write_text("# API reference\n", encoding="utf-8")
    assert gen.main(["--check", "--output", str(stale)]) == 1
    section = gen.module_section("veob.decomposition")
    assert "| `available_solvers()` | function | Names of the registered solvers" in section
    assert gen.subpackages()[:3] == ["veob", "veob.spectral", "veob.decomposition"]


# veob.experiments holds the protocols that reproduce the paper's tables on the real datasets (not
# library API): most need the IMDB archive or the dictionary, so they are exercised by
# tests/test_experiments.py and the command tests rather than by doctests
NOT_LIBRARY = {"veob.experiments"}


def test_every_public_function_of_every_subpackage_has_an_example():
    gen = _gen_api()
    missing = []
    for modname in gen.subpackages():
        try:
            module = importlib.import_module(modname)
        except ImportError as exc:
            if exc.name and exc.name.split(".")[0] in OPTIONAL:
                continue
            raise
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj) and ">>>" not in (obj.__doc__ or "") and modname not in NOT_LIBRARY:
                missing.append(f"{modname}.{name}")
    assert not missing, f"public items without a docstring example: {missing}"
