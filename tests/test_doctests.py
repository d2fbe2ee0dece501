"""Run the docstring examples of every public veob module."""

import doctest
import importlib
import pkgutil

import pytest

import veob

OPTIONAL = {"chromadb", "spacy", "dask", "distributed", "fbpca", "PIL", "matplotlib", "tqdm"}


def _modules():
    for info in pkgutil.walk_packages(veob.__path__, prefix="veob."):
        if info.name.endswith("__main__"):
            continue
        yield info.name


@pytest.mark.parametrize("name", sorted(_modules()))
def test_doctests(name):
    try:
        module = importlib.import_module(name)
    except ImportError as exc:  # an optional dependency of that module is missing
        if exc.name and exc.name.split(".")[0] in OPTIONAL:
            pytest.skip(f"{name} needs {exc.name}")
        raise
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    for test in finder.find(module, name, globs={}):
        if test.examples:
            runner.run(test)
    failed, attempted = runner.summarize(verbose=False)
    assert failed == 0, f"{failed} of {attempted} doctest examples failed in {name}"


def test_every_public_item_has_an_example():
    missing = []
    for name in veob.__all__:
        if name.startswith("__"):
            continue
        obj = getattr(veob, name)
        if ">>>" not in (obj.__doc__ or ""):
            missing.append(name)
    assert not missing, f"public items without a docstring example: {missing}"
