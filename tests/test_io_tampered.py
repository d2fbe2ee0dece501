"""veob.load on edited or damaged files: it round-trips or raises one ValueError/TypeError naming the fault."""

import importlib
import io
import json
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import veob
from veob import IncrementalSVD, SVDEmbedder
from veob.text import OrthographyEmbedder

RNG = np.random.default_rng(0)
X = RNG.standard_normal((120, 10))
WORDS = ["twig", "twigs", "twiggy", "frown", "frowned", "frowning", "cat", "cats", "dog", "dogs", "bus", "buses"]


def _models():
    return {
        "svd": (SVDEmbedder(n_components=3, random_state=0).fit(X), X[:20]),
        "incremental": (IncrementalSVD(3, batch_size=40).fit(X), X[:20]),
        "orthography": (OrthographyEmbedder(n_components=4, random_state=0).fit(WORDS), WORDS[:5]),
    }


MODELS = _models()


def _members(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _write(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _edit_meta(path, edit):
    members = _members(path)
    meta = json.loads(members["veob.json"])
    edit(meta)
    members["veob.json"] = json.dumps(meta).encode()
    _write(path, members)


def _same_outputs(a, b, query):
    out_a, out_b = a.transform(query), b.transform(query)
    np.testing.assert_array_equal(np.asarray(out_a), np.asarray(out_b))


# -- the three faults of the issue, one by one ----------------------------------

def test_class_changed_to_another_estimator_is_refused_at_load(tmp_path):
    path = veob.save(MODELS["svd"][0], tmp_path / "m")
    _edit_meta(path, lambda meta: meta["model"].update({"class": "IncrementalSVD"}))
    with pytest.raises(ValueError, match=r"names the class veob.decomposition.IncrementalSVD but holds "
                                         r"parameter 'center', which IncrementalSVD does not take"):
        veob.load(path)
    # the same parameters but an attribute the class never has
    path = veob.save(MODELS["incremental"][0], tmp_path / "i")
    _edit_meta(path, lambda meta: meta["model"]["state"].update(
        {"cell_centers_": meta["model"]["state"]["components_"]}))
    with pytest.raises(ValueError, match=r"attribute 'cell_centers_', which IncrementalSVD never has"):
        veob.load(path)


@pytest.mark.parametrize("name, model, value, error, message", [
    ("n_freqs", "orthography", "abc", TypeError, r"n_freqs='abc'"),
    ("n_freqs", "orthography", 0, ValueError, r"n_freqs=0"),
    ("n_components", "svd", "abc", TypeError, r"n_components='abc'"),
    ("n_components", "svd", 1.5, ValueError, r"n_components=1.5"),
    ("center", "svd", "yes", TypeError, r"center='yes'"),
    ("n_iter", "svd", -2, ValueError, r"n_iter=-2"),
    ("batch_size", "incremental", [3], TypeError, r"batch_size=\[3\]"),
])
def test_edited_parameters_are_validated_as_fit_does(tmp_path, name, model, value, error, message):
    path = veob.save(MODELS[model][0], tmp_path / "m")
    _edit_meta(path, lambda meta: meta["model"]["params"].update({name: value}))
    with pytest.raises(error, match=message) as info:
        veob.load(path)
    assert str(path) in str(info.value) and "invalid parameter" in str(info.value)
    assert "\n" not in str(info.value)


def test_a_parameter_newer_than_the_file_takes_its_default(tmp_path):
    model = MODELS["svd"][0]
    path = veob.save(model, tmp_path / "m")
    _edit_meta(path, lambda meta: meta["model"]["params"].pop("n_iter"))  # as if written before n_iter existed
    loaded = veob.load(path)
    assert loaded.n_iter == "auto"
    _same_outputs(model, loaded, X[:20])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_fitted_arrays_are_refused_naming_the_array(tmp_path, bad):
    model = MODELS["svd"][0]
    path = veob.save(model, tmp_path / "m")
    members = _members(path)
    values = model.components_.copy()
    values[1, 4] = bad
    buf = io.BytesIO()
    np.lib.format.write_array(buf, values, allow_pickle=False)
    members["components_.npy" if "components_.npy" in members else "components.npy"] = buf.getvalue()
    _write(path, members)
    with pytest.raises(ValueError, match=r"attribute 'components_' holds NaN or infinity \(first at index \(1, 4\)\)"):
        veob.load(path)


# -- hypothesis: any mutation round-trips or raises one clear error ---------------

def _float_members(members):
    out = []
    for name, data in members.items():
        if name.endswith(".npy"):
            arr = np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
            if arr.dtype.kind == "f" and arr.size:
                out.append(name)
    return sorted(out)


_JSON_VALUES = st.one_of(
    st.text(max_size=8), st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(), st.lists(st.integers(-3, 3), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(),
                                                                             max_size=2),
)

_CLASSES = st.sampled_from([
    ("veob.decomposition", "IncrementalSVD"), ("veob.decomposition", "SVDEmbedder"),
    ("veob.spectral", "DCT2Transformer"), ("veob.partition", "CellIndex"), ("veob.partition", "VoronoiPartition"),
    ("veob.text", "OrthographyEmbedder"), ("veob.text", "WordVectors"), ("veob.models", "LeastSquaresClassifier"),
    ("veob.models", "JointEmbeddingClassifier"), ("veob.decomposition", "svd"), ("veob", "Nothing"),
    ("veob.text._orthography", "OrthographyEmbedder"),
])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), which=st.sampled_from(sorted(MODELS)),
       kind=st.sampled_from(["byte", "param", "array", "class"]))
def test_mutated_files_round_trip_or_raise_one_clear_error(tmp_path, data, which, kind):
    model, query = MODELS[which]
    path = veob.save(model, tmp_path / f"{which}.veob")
    named = None  # what the error message must name
    if kind == "byte":
        raw = bytearray(path.read_bytes())
        pos = data.draw(st.integers(0, len(raw) - 1), label="offset")
        raw[pos] ^= data.draw(st.integers(1, 255), label="xor")
        path.write_bytes(bytes(raw))
    elif kind == "param":
        params = json.loads(_members(path)["veob.json"])["model"]["params"]
        name = data.draw(st.sampled_from(sorted(params)), label="param")
        value = data.draw(_JSON_VALUES, label="value")
        _edit_meta(path, lambda meta: meta["model"]["params"].update({name: value}))
        named = name
    elif kind == "array":
        members = _members(path)
        member = data.draw(st.sampled_from(_float_members(members)), label="member")
        arr = np.lib.format.read_array(io.BytesIO(members[member]), allow_pickle=False).copy()
        flat = arr.reshape(-1)
        i = data.draw(st.integers(0, flat.size - 1), label="index")
        flat[i] = data.draw(st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 1e30, -7.5]), label="value")
        buf = io.BytesIO()
        np.lib.format.write_array(buf, arr, allow_pickle=False)
        members[member] = buf.getvalue()
        _write(path, members)
        if not np.isfinite(flat[i]):
            named = "NaN or infinity"
    else:
        module, qualname = data.draw(_CLASSES, label="class")
        _edit_meta(path, lambda meta: meta["model"].update({"module": module, "class": qualname}))
        same = getattr(importlib.import_module(module), qualname, None) is type(model)
        named = None if same else qualname
    try:
        loaded = veob.load(path)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        assert "\n" not in message and str(path) in message, message
        if named is not None:
            assert named in message, message
        return
    # it loaded: then it is the model that was saved (up to an edited parameter) and it works
    assert type(loaded) is type(model)
    assert named is None or kind == "param", f"loaded despite the fault ({named})"
    if kind in ("byte", "class"):
        _same_outputs(model, loaded, query)
    elif kind == "array":
        assert np.isfinite(np.asarray(loaded.transform(query))).all()
    else:
        # a parameter edited to another value that fit accepts loads, as set_params would take it
        # (e.g. OrthographyEmbedder n_points 15 -> 6 changes the outputs): finite outputs or a clear error
        try:
            out = loaded.transform(query)
        except (ValueError, TypeError) as exc:
            assert "\n" not in str(exc).strip()
        else:
            assert np.isfinite(np.asarray(out)).all()
