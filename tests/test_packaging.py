"""pyproject.toml tells the truth: every imported package is declared, and every floor is honest.

No network: the floors are read from pyproject.toml and compared with the code and with the
installed versions. ``.ci/min_versions`` installs the floors themselves and runs tests on them.
"""

import ast
import importlib.machinery
import importlib.metadata
import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "veob"

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli", reason="reading pyproject.toml on Python 3.10 needs tomli")
version = pytest.importorskip("packaging.version", reason="comparing versions needs packaging (a pytest dependency)")

# import name -> distribution name, where they differ and the package may not be installed
IMPORT_NAMES = {"sklearn": "scikit-learn", "PIL": "pillow"}
# extras that hold tools for developers, not features of veob
TOOL_EXTRAS = {"dev", "bench"}
# an API the code uses -> (distribution, first version that has it)
API_FLOORS = {
    r"\bvalidate_data\b": ("scikit-learn", "1.6"),
    r"__sklearn_tags__": ("scikit-learn", "1.6"),
    r"\bsp\.sparray\b|scipy\.sparse\.sparray\b": ("scipy", "1.11"),
    r"\bsubset_by_index\b": ("scipy", "1.5"),
    # eigh(driver="evd") of a 1x1 matrix raises a LAPACK lwork error before SciPy 1.13.1 (.ci/min_versions found it)
    r'driver="evd"': ("scipy", "1.13.1"),
    # numba 0.58 spent > 9 CPU minutes compiling the inlined CellIndex search kernels (0.60: 93 s, 0.68: 68 s)
    r'inline="always"': ("numba", "0.60"),
    r"\bparallel_chunksize\b": ("numba", "0.57"),
    r"\bregister_embedding_function\b": ("chromadb", "1.0"),
    r'layout="constrained"': ("matplotlib", "3.5"),
}


def _normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement(req):
    """``(distribution, floor or None)`` of a requirement string such as ``"dask[array]>=2023.1"``."""
    m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:>=\s*([0-9][0-9A-Za-z.]*))?", req)
    assert m is not None, f"cannot read the requirement {req!r}"
    return _normalize(m.group(1)), m.group(2)


@pytest.fixture(scope="module")
def project():
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["project"]


@pytest.fixture(scope="module")
def declared(project):
    """``{distribution: floor}`` of the dependencies and of every feature extra."""
    reqs = list(project["dependencies"])
    for extra, items in project["optional-dependencies"].items():
        if extra not in TOOL_EXTRAS:
            reqs += items
    out = {}
    for req in reqs:
        name, floor = _requirement(req)
        if name != "veob":
            out[name] = floor
    return out


def _imported_modules():
    """Top-level names of the absolute imports in src/veob, module level or inside functions."""
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def _distribution(module, declared):
    """The distribution that provides ``module`` (its own name unless known or installed otherwise)."""
    if module in IMPORT_NAMES:
        return IMPORT_NAMES[module]
    if _normalize(module) in declared:
        return _normalize(module)
    dists = importlib.metadata.packages_distributions().get(module)  # slow: only for the unknown ones
    return _normalize(dists[0]) if dists else _normalize(module)


def test_every_imported_package_is_declared(declared):
    third_party = {m: where for m, where in _imported_modules().items()
                   if m not in sys.stdlib_module_names and m not in ("veob", "__future__")}
    # the walk sees the imports it must (a broken walk would pass vacuously)
    assert {"numpy", "scipy", "sklearn", "numba", "threadpoolctl", "chromadb", "tqdm"} <= set(third_party)
    missing = {m: where for m, where in third_party.items() if _distribution(m, declared) not in declared}
    assert not missing, (f"imported but declared neither in [project].dependencies nor in a feature extra of "
                         f"pyproject.toml (first import shown): {missing}")


def test_core_imports_are_core_dependencies(project):
    """Modules imported at module level by the always-imported core need a core dependency, not an extra."""
    core = {_requirement(r)[0] for r in project["dependencies"]}
    for rel in ("_threads.py", "_validation.py", "decomposition/_embedder.py", "partition/_partition.py"):
        tree = ast.parse((SRC / rel).read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                top = node.module.split(".")[0]
            elif isinstance(node, ast.Import):
                top = node.names[0].name.split(".")[0]
            else:
                continue
            if top in sys.stdlib_module_names or top == "__future__":
                continue
            assert _distribution(top, core) in core, f"{rel} imports {top} at module level"
    # threadpoolctl is imported directly (_threads.py, text/_linalg.py): a scikit-learn dependency is not enough
    assert "threadpoolctl" in core


def test_every_requirement_has_a_floor(declared):
    assert not [name for name, floor in declared.items() if floor is None], \
        "every dependency needs a '>=' floor (.ci/min_versions installs it)"


def test_floors_are_not_above_installed_versions(declared):
    checked = 0
    for name, floor in declared.items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        checked += 1
        assert version.Version(floor) <= version.Version(installed), \
            f"{name}>={floor} is declared but {installed} is installed"
    assert checked >= 5  # at least the core dependencies are installed


def test_floors_cover_the_apis_the_code_uses(declared):
    source = "\n".join(p.read_text(encoding="utf-8") for p in SRC.rglob("*.py"))
    used = 0
    for pattern, (name, first) in API_FLOORS.items():
        if re.search(pattern, source):
            used += 1
            floor = declared[name]
            assert version.Version(floor) >= version.Version(first), \
                f"the code uses {pattern!r}, new in {name} {first}, but pyproject.toml declares {name}>={floor}"
    assert used >= 4


def test_min_versions_script_pins_every_floor(project, declared):
    loader = importlib.machinery.SourceFileLoader("_veob_min_versions", str(ROOT / ".ci" / "min_versions"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    extras = sorted(set(project["optional-dependencies"]) - TOOL_EXTRAS - {"all"})
    pins = module.floors(ROOT / "pyproject.toml", extras)
    assert {_normalize(k): v for k, v in pins.items()} == declared
    with pytest.raises(SystemExit, match="not an extra"):
        module.floors(ROOT / "pyproject.toml", ["no-such-extra"])
