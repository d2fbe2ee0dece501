"""veob.experiments: the protocols, their deprecated old names, and that the library never imports them."""

import ast
import importlib
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from sklearn.datasets import load_digits

import veob
from veob.experiments import (
    evaluate_paper_pipeline,
    evaluate_patch_pipeline,
    hold_out_pairs,
    relatedness_pairs,
    sentence_pairs,
    similarity_pairs,
    split_by_word,
)

SRC = Path(veob.__file__).parent
# modules that may import veob.experiments: the protocols themselves and the command line that runs them
ALLOWED = ("veob.experiments", "veob.cli")
# old location -> names moved to veob.experiments (deprecated re-exports until veob 0.2.0)
MOVED = {
    "veob.models": ("evaluate_paper_pipeline", "evaluate_patch_pipeline"),
    "veob.baselines": ("IMDB_EXPERIMENTS", "SEED_IMDB_RESULTS", "format_imdb_table", "run_imdb_protocol",
                       "seed_validation_split"),
    "veob.text._evaluation": ("hold_out_pairs", "relatedness_pairs", "sentence_pairs", "similarity_pairs",
                              "split_by_word"),
}


def _module_name(path):
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(node, module, is_package):
    """Absolute names an Import / ImportFrom node brings in (``from .. import x`` gives ``pkg.x``)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = module if is_package else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        base = base.rpartition(".")[0]
    if node.level:
        base = f"{base}.{node.module}" if node.module else base
    else:
        base = node.module
    return [base] + [f"{base}.{a.name}" for a in node.names]


def _experiment_imports(path):
    """(line, name, inside a module-level __getattr__) of every import of veob.experiments in a file."""
    module = _module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    shims = {id(n) for f in tree.body if isinstance(f, ast.FunctionDef) and f.name == "__getattr__"
             for n in ast.walk(f)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for name in _imported(node, module, path.name == "__init__.py"):
                if name == "veob.experiments" or name.startswith("veob.experiments."):
                    found.append((node.lineno, name, id(node) in shims))
    return found


def test_the_import_walker_resolves_relative_imports(tmp_path):
    assert _imported(ast.parse("from .. import experiments").body[0], "veob.models", True) == \
        ["veob", "veob.experiments"]
    assert _imported(ast.parse("from ..experiments._imdb import x").body[0], "veob.cli._cmd_imdb", False)[0] == \
        "veob.experiments._imdb"
    assert _imported(ast.parse("import veob.experiments").body[0], "veob.text._lm", False) == ["veob.experiments"]


def test_the_library_never_imports_the_experiments():
    """Only veob.experiments and veob.cli import veob.experiments; elsewhere only the deprecated re-exports do."""
    offenders, shims = [], set()
    for path in sorted(SRC.rglob("*.py")):
        module = _module_name(path)
        if module.startswith(ALLOWED):
            continue
        for line, name, in_shim in _experiment_imports(path):
            if in_shim:
                shims.add(module)
            else:
                offenders.append(f"{path.relative_to(SRC.parent)}:{line} imports {name}")
    assert not offenders, "library modules import veob.experiments:\n" + "\n".join(offenders)
    assert shims == set(MOVED)  # the __getattr__ re-exports, and nothing else, reach the experiments


def test_import_veob_and_its_subpackages_load_no_experiment():
    code = ("import sys, veob, veob.models, veob.baselines, veob.text, veob.text._evaluation; "
            "print(any(m.startswith('veob.experiments') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("old, name", [(m, n) for m, names in MOVED.items() for n in names])
def test_moved_names_still_work_with_a_future_warning(old, name):
    module = importlib.import_module(old)
    with pytest.warns(FutureWarning, match=rf"{old}\.{name} moved to veob\.experiments\.{name}"):
        value = getattr(module, name)
    assert value is getattr(importlib.import_module("veob.experiments"), name)
    assert name not in getattr(module, "__all__", ())


def test_unknown_names_still_raise_attribute_error():
    for old in MOVED:
        with pytest.raises(AttributeError, match="no attribute 'nope'"):
            getattr(importlib.import_module(old), "nope")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from veob.models import JointEmbeddingClassifier  # noqa: F401  (not moved: no warning)


# ---------------------------------------------------------------- pipelines (moved from test_models.py)
def test_paper_pipeline_on_sklearn_digits():
    digits = load_digits()
    images, y = digits.images, digits.target
    result = evaluate_paper_pipeline(images[:1500], y[:1500], images[1500:], y[1500:], n_components=20,
                                     min_samples=50, random_state=0)
    assert result["train_top1"] == 1.0
    assert result["test_top1"] > 0.9 and result["test_top3"] > 0.98
    assert result["components"].shape == (20, 64)
    assert set(result["seconds"]) == {"dct", "svd", "fit", "rank_test", "rank_train", "total"}
    with pytest.raises(ValueError, match="X_train must have shape"):
        evaluate_paper_pipeline(images.reshape(len(y), -1), y, images, y)
    with pytest.raises(ValueError, match="labels of X_test"):
        evaluate_paper_pipeline(images, y, images, y[:5])


def test_patch_pipeline_on_sklearn_digits():
    from veob.images import PatchEmbedder

    digits = load_digits()
    embedder = PatchEmbedder(patch_size=3, n_filters=(4, 4), block_size=4, hist_components=8, random_state=0)
    result = evaluate_patch_pipeline(digits.images[:1500], digits.target[:1500], digits.images[1500:],
                                     digits.target[1500:], embedder=embedder, scale=16.0)
    assert result["n_features"] == 4 * 4 * 8
    assert result["test_top1"] > 0.87
    assert result["test_top3"] > result["test_top1"]


# ---------------------------------------------------------------- real data
def test_paper_pipeline_mnist_slice(data_root):
    from veob.datasets import load_mnist

    X, y, Xt, yt = load_mnist(data_root / "mnist")
    result = evaluate_paper_pipeline(X[:5000], y[:5000], Xt[:2000], yt[:2000], min_samples=100,
                                     rank_train=False, random_state=0)
    # exact search (every cell) gives 91.7 % / 98.9 % on this slice, one cell 90.6 % / 98.5 %
    assert result["test_top1"] > 0.89
    assert result["test_top3"] > 0.98




# ---------------------------------------------------------------- dictionary proxies


def _entries():
    """A tiny dictionary: (word, synonyms, antonyms, meanings as (pos, definition, related, examples))."""
    return [
        ("happy", ["glad", "cheerful"], ["sad"], [("adj", "feeling pleasure and joy", ["emotion"],
                                                   ["She was happy today", "A happy child laughed"])]),
        ("glad", ["happy"], ["sorry"], [("adj", "pleased about something", ["emotion"], ["I am glad to help"])]),
        ("sad", ["unhappy"], ["happy"], [("adj", "feeling sorrow", ["emotion"], ["A sad story", "He felt sad"])]),
        ("emotion", [], [], [("noun", "a strong feeling", ["state"], ["Anger is an emotion"])]),
        ("tiger", ["cat"], [], [("noun", "large cat with stripes", ["animal"], ["The tiger hunts at night"])]),
        ("animal", [], [], [("noun", "living creature", [], ["An animal sleeps"])]),
        ("cheerful", ["happy"], ["gloomy"], [("adj", "noticeably happy", ["emotion"], ["A cheerful song"])]),
        ("gloomy", ["dark"], ["cheerful"], [("adj", "dark or poorly lit", ["mood"], ["A gloomy day"])]),
    ]


def test_split_by_word_is_deterministic_and_symmetric():
    pairs = [(f"w{i}", f"v{i}", 1.0) for i in range(200)]
    a, b = split_by_word(pairs)
    assert len(a) + len(b) == 200 and 60 < len(a) < 140
    assert split_by_word(pairs) == (a, b)
    swapped = [(q, p, s) for p, q, s in pairs]
    assert [p[:2][::-1] for p in split_by_word(swapped)[0]] == [p[:2] for p in a]


def test_hold_out_pairs_removes_the_pairs_it_returns():
    entries = _entries()
    fit_entries, syn, ant = hold_out_pairs(entries, fraction=0.5, random_state=0)
    assert syn and ant and len(fit_entries) == len(entries)
    kept = {tuple(sorted((w, s))) for w, s_list, _ in fit_entries for s in s_list}
    kept_ant = {tuple(sorted((w, a))) for w, _, a_list in fit_entries for a in a_list}
    assert not kept & set(syn) and not kept_ant & set(ant)
    assert hold_out_pairs(entries, fraction=0.5, random_state=0) == (fit_entries, syn, ant)


def test_graded_proxies_grade_each_kind():
    entries = _entries()
    _, syn, ant = hold_out_pairs(entries, fraction=1.0, random_state=0)
    sim = similarity_pairs(entries, syn, ant, random_state=0)
    grades = {(a, b): g for a, b, g in sim}
    assert grades[("glad", "happy")] == 3.0 and grades[("happy", "sad")] == 0.0
    assert grades[("animal", "tiger")] == 2.0 and grades[("stripes", "tiger")] == 1.0
    rel = relatedness_pairs(entries, n_per_kind=4, random_state=0)
    assert {g for _, _, g in rel} == {0.0, 1.0, 2.0, 3.0}
    assert sum(g == 0.0 for _, _, g in rel) == 4
    sent = sentence_pairs(entries, n_per_kind=3, random_state=0)
    assert ("A sad story", "He felt sad", 2.0) in sent
    assert all(a != b for a, b, _ in sent) and {g for _, _, g in sent} == {0.0, 1.0, 2.0}
