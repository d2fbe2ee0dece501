"""veob.save / veob.load: one file, arrays + JSON, no pickle, atomic, versioned."""

import importlib
import inspect
import json
import os
import pkgutil
import zipfile

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.decomposition import PCA

import veob
from veob import DCT2Transformer, IncrementalSVD, SVDEmbedder
from veob._io import FORMAT_VERSION

save, load = veob.save, veob.load

OPTIONAL = {"chromadb", "spacy", "dask", "distributed", "fbpca", "PIL", "matplotlib", "tqdm"}

RNG = np.random.default_rng(0)
X = RNG.random((400, 12))
Y = RNG.integers(0, 4, size=400)


# -- every veob estimator round-trips ------------------------------------------

def _public_estimator_classes():
    """Every class with ``fit`` in the ``__all__`` of a public veob module."""
    found = {}
    for info in pkgutil.walk_packages(veob.__path__, prefix="veob."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError as exc:
            # optional dependency missing; a broken veob module fails tests/test_doctests.py instead
            if exc.name and exc.name.split(".")[0] in OPTIONAL | {"veob"}:
                continue
            raise
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if isinstance(obj, type) and hasattr(obj, "fit") and obj.__module__.startswith("veob."):
                found[obj.__qualname__] = obj
    return found


# Explicit cases; a class without one is built from defaults plus these guesses.
CASES = {
    "SVDEmbedder": [
        ("dense", lambda: SVDEmbedder(n_components=4, random_state=0), X),
        ("center", lambda: SVDEmbedder(n_components=3, center=True), X),
        ("float32-energy", lambda: SVDEmbedder(n_components=0.8), X.astype(np.float32)),
        ("sparse-randomized", lambda: SVDEmbedder(n_components=3, solver="randomized",
                                                  random_state=np.random.RandomState(1)),
         sp.random(400, 12, density=0.3, format="csr", random_state=0)),
    ],
    "IncrementalSVD": [("batches", lambda: IncrementalSVD(4, batch_size=64), X)],
    "DCT2Transformer": [("keep", lambda: DCT2Transformer((3, 4), keep=(2, 3)), X),
                        ("full", lambda: DCT2Transformer((1, -1)), X)],
}

def _text_data():
    rng = np.random.default_rng(3)
    vocab = ["the", "cat", "dog", "ran", "sat", "a", "red", "car", "bus", "stopped", "drove", "good", "bad",
             "film", "great", "awful", "plot", "was", "very", "quite"]
    sentences = [[str(w) for w in rng.choice(vocab, size=rng.integers(3, 9))] for _ in range(120)]
    labels = rng.integers(0, 2, size=120)
    texts = [" ".join(s + (["great", "good"] if lab else ["awful", "bad"])) for s, lab in zip(sentences, labels)]
    entries = [("big", ["large", "huge"], ["small"]), ("large", ["big", "huge"], ["small", "little"]),
               ("small", ["little", "tiny"], ["big"]), ("little", ["small", "tiny"], ["big"]),
               ("happy", ["glad"], ["sad"]), ("sad", ["unhappy"], ["happy"]), ("car", ["auto"], [])]
    return vocab, sentences, texts, labels, entries


def _text_cases():
    from veob.text import ContextEmbedder, DictionaryEmbedder, OrthographyEmbedder, SentenceEmbedder, WordVectors
    vocab, sentences, texts, labels, entries = _text_data()
    words = vocab + ["frown", "frowning", "frowned", "twig", "twigs", "twiggy"]
    wv = WordVectors(vocab, np.random.default_rng(4).standard_normal((len(vocab), 6)).astype(np.float32))
    cases = {
        "OrthographyEmbedder": [("words", lambda: OrthographyEmbedder(n_components=5, random_state=0), words)],
        "ContextEmbedder": [("sentences", lambda: ContextEmbedder(n_components=3, subsample=None, min_count=1,
                                                                    random_state=0), sentences,
                             None, vocab)],
        "DictionaryEmbedder": [("entries", lambda: DictionaryEmbedder(n_components=4, random_state=0), entries,
                                None, ["big", "small", "happy", "auto"])],
        "SentenceEmbedder": [("sentences", lambda: SentenceEmbedder(wv, n_components=4), sentences)],
    }
    from veob.text import KneserNeyLM, ReviewComposer, SpellingCorrector

    spelled = words + ["frowning", "twig", "the", "the"]
    cases["SpellingCorrector"] = [("words", lambda: SpellingCorrector(random_state=0), spelled,
                                   np.arange(len(spelled)) + 1, ["frwning", "twigy", "teh", "cat", "Dgo"])]

    cases["ReviewComposer"] = [("reviews", lambda: ReviewComposer(context=3, n_freqs=2, word_dim=4, n_components=8,
                                                                  random_state=0), texts, labels, texts[:10])]
    cases["KneserNeyLM"] = [("reviews", lambda: KneserNeyLM(order=3), texts, labels, texts[:10])]
    from veob.text import TextEncoder

    cases["TextEncoder"] = [("texts", lambda: TextEncoder(word_vectors=wv, n_components=4, progress=False),
                             texts, None, texts[:10] + ["", "zzz qqq"])]
    try:
        from veob.baselines import SentimentClassifier
    except ImportError:  # pragma: no cover - baselines always importable
        return cases
    cases["SentimentClassifier"] = [
        ("texts", lambda: SentimentClassifier(n_components=4, embedding_min_df=2, random_state=0), texts, labels)]
    return cases


CASES.update(_text_cases())


def _image_cases():
    try:
        from veob.images import PatchEmbedder
    except ImportError:  # pragma: no cover - veob.images is always there
        return {}
    images = np.random.default_rng(5).random((60, 10, 10))
    return {"PatchEmbedder": [
        ("grey", lambda: PatchEmbedder(patch_size=3, n_filters=(2, 2), block_size=5, hist_components=3,
                                       random_state=0), images),
        ("flat", lambda: PatchEmbedder(patch_size=3, n_filters=(2, 2), block_size=2, hist_components=2,
                                       image_shape=(3, 4), random_state=0), X)]}


CASES.update(_image_cases())


def _image_classifier_cases():
    try:
        from veob.baselines import ImageClassifier
    except ImportError:  # pragma: no cover
        return {}
    rng = np.random.default_rng(6)
    images = rng.integers(0, 256, (40, 12, 12, 3)).astype(np.uint8)
    labels = np.arange(40) % 2
    images[labels == 1, ::2, :, 2] = 255  # blue stripes on the dogs
    return {"ImageClassifier": [
        ("small", lambda: ImageClassifier(sizes=(8,), patch_sizes=(3,), block_sizes=(4,), colours=("rgb",),
                                          n_filters=(2, 2), hist_components=2, random_state=0), images, labels)]}


CASES.update(_image_classifier_cases())

GUESSES = {"n_components": 3, "max_level": 4, "min_samples": 10, "random_state": 0, "n_neighbors": 3}


def _generic_case(cls):
    params = inspect.signature(cls.__init__).parameters
    kwargs, missing = {}, []
    for name, p in params.items():
        if name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if name in GUESSES:
            kwargs[name] = GUESSES[name]
        elif p.default is p.empty:
            missing.append(name)

    def factory():
        if missing:
            pytest.fail(f"{cls.__qualname__} needs {missing}: add a round-trip case to CASES in tests/test_io.py")
        return cls(**kwargs)

    return [("defaults", factory, X)]


def _all_cases():
    out = []
    for name, cls in sorted(_public_estimator_classes().items()):
        for case_id, factory, data, *extra in CASES.get(name) or _generic_case(cls):
            y = extra[0] if extra and extra[0] is not None else Y
            query = extra[1] if len(extra) > 1 else data[:50]
            out.append(pytest.param(factory, data, y, query, id=f"{name}-{case_id}"))
    return out


def _assert_same(a, b, where="model"):
    assert type(a) is type(b), f"{where}: {type(a)} != {type(b)}"
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        if a.dtype.kind == "f":
            np.testing.assert_array_equal(a, b, err_msg=where)
        else:
            assert a.tolist() == b.tolist(), where
    elif sp.issparse(a):
        assert a.format == b.format and a.shape == b.shape and a.dtype == b.dtype, where
        assert (a != b).nnz == 0, where
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (u, v) in enumerate(zip(a, b)):
            _assert_same(u, v, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            _assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, np.random.RandomState):
        _assert_same(a.get_state(legacy=True), b.get_state(legacy=True), f"{where}.state")
    elif isinstance(a, np.random.Generator):
        assert a.bit_generator.state == b.bit_generator.state, where
    elif hasattr(a, "__dict__") and type(a).__module__.startswith("veob"):
        _assert_same(dict(sorted(vars(a).items())), dict(sorted(vars(b).items())), where)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _outputs(model, query):
    out = {}
    for method in ("transform", "predict", "predict_proba", "decision_function", "score_samples", "kneighbors"):
        if hasattr(model, method):
            try:
                out[method] = getattr(model, method)(query)
            except (AttributeError, NotImplementedError):
                continue
    if "transform" in out and hasattr(model, "inverse_transform"):
        out["inverse_transform"] = model.inverse_transform(out["transform"])
    return out


@pytest.mark.parametrize("factory, data, y, query", _all_cases())
def test_round_trip_of_every_estimator(factory, data, y, query, tmp_path):
    model = factory().fit(data, y)
    path = tmp_path / "model"
    assert save(model, path) == path
    loaded = load(path)
    assert type(loaded) is type(model)
    _assert_same(model, loaded)
    assert loaded.get_params().keys() == model.get_params().keys()
    ours, theirs = _outputs(model, query), _outputs(loaded, query)
    assert ours, f"{type(model).__name__} has no transform/predict/kneighbors to compare"
    _assert_same(ours, theirs, "outputs")


def test_every_public_estimator_is_covered_and_is_a_scikit_learn_estimator():
    classes = _public_estimator_classes()
    for name in ("VoronoiPartition", "CellIndex", "KneserNeyLM", "ReviewComposer", "TextEncoder"):
        assert name in classes
    not_estimators = sorted(name for name, cls in classes.items() if not issubclass(cls, BaseEstimator))
    assert not not_estimators, f"public classes with fit that are not BaseEstimator: {not_estimators}"


def test_unfitted_estimator_round_trips_its_parameters(tmp_path):
    model = SVDEmbedder(n_components=7, solver="gram", center=True)
    loaded = load(save(model, tmp_path / "m"))
    assert loaded.get_params() == model.get_params()
    assert not hasattr(loaded, "components_")


def test_incremental_svd_continues_after_load(tmp_path):
    first, rest = X[:200], X[200:]
    inc = IncrementalSVD(4, batch_size=50).fit(first)
    loaded = load(save(inc, tmp_path / "inc"))
    assert loaded._energy == inc._energy and loaded.n_samples_seen_ == 200
    np.testing.assert_array_equal(loaded._factor, inc._factor)
    for batch in (rest[:100], rest[100:]):
        inc.partial_fit(batch)
        loaded.partial_fit(batch)
    np.testing.assert_array_equal(loaded.singular_values_, inc.singular_values_)
    np.testing.assert_array_equal(loaded.components_, inc.components_)
    assert loaded.n_samples_seen_ == 400
    batch = IncrementalSVD(4, batch_size=50).fit(X)
    np.testing.assert_allclose(loaded.singular_values_, batch.singular_values_, rtol=1e-10)


# -- every kind of stored value ------------------------------------------------

@pytest.fixture
def allow_extra_attributes(monkeypatch):
    """Let SVDEmbedder files carry the test attributes extra_ / big_ (load checks the class's schema)."""
    import veob._io as io

    real = io._known_attributes
    monkeypatch.setattr(io, "_known_attributes", lambda cls: real(cls) | {"extra_", "big_"})


def test_every_supported_value_kind_round_trips(tmp_path, allow_extra_attributes):
    inner = SVDEmbedder(n_components=2).fit(X)
    rs = np.random.RandomState(5)
    rs.random_sample(3)
    gen = np.random.default_rng(9)
    gen.random(2)
    model = SVDEmbedder(n_components=3).fit(X)
    model.extra_ = {
        "inner": inner,
        "list": [inner, SVDEmbedder(n_components=1), None],
        "arrays": {"a": np.arange(6, dtype=np.int16).reshape(2, 3), "b": np.zeros((0, 4), np.float32)},
        "int_keys": {0: "zero", 7: np.float32(0.5), (1, 2): "tuple key"},
        "tuple": (1, 2.5, "three", (4,)),
        "scalars": [np.float32(1.5), np.int64(-3), np.bool_(True), np.uint8(200), np.float64(np.nan),
                    np.complex128(1 + 2j), np.str_("numpy text")],
        "floats": [float("nan"), float("inf"), -float("inf"), 1e-300],
        "big_int": 2**70,
        "text": "ünïcödé ✓",
        "dtypes": [np.dtype("float32"), np.dtype(">i4"), np.float64, float, int, bool, str],
        "sparse": [sp.random(5, 4, density=0.5, format=f, random_state=1) for f in ("csr", "csc", "coo")]
        + [sp.csr_array(np.eye(3))],
        "strings": np.array(["cat", "dog", ""], dtype=object),
        "unicode_array": np.array(["a", "bé"]),
        "zero_d": np.array(3.0),
        "bools": np.array([True, False]),
        "random_state": rs,
        "generator": gen,
        "empty": [[], {}, ()],
    }
    loaded = load(save(model, tmp_path / "all"))
    _assert_same(model, loaded)
    assert loaded.extra_["strings"].dtype == object
    assert isinstance(loaded.extra_["scalars"][0], np.float32)
    assert isinstance(loaded.extra_["sparse"][3], sp.csr_array)
    assert loaded.extra_["random_state"].random_sample() == rs.random_sample()
    assert loaded.extra_["generator"].random() == gen.random()
    np.testing.assert_array_equal(loaded.extra_["inner"].transform(X), inner.transform(X))


def test_file_is_npz_with_json_header_and_no_extension(tmp_path):
    model = SVDEmbedder(n_components=3).fit(X)
    for name in ("model", "model.npz", "model.veob"):
        save(model, tmp_path / name)
    assert sorted(os.listdir(tmp_path)) == ["model", "model.npz", "model.veob"]
    with zipfile.ZipFile(tmp_path / "model") as zf:
        meta = json.loads(zf.read("veob.json"))
    assert meta["format_version"] == FORMAT_VERSION and meta["veob_version"] == veob.__version__
    assert (meta["model"]["module"], meta["model"]["class"]) == ("veob.decomposition", "SVDEmbedder")
    assert meta["model"]["params"]["n_components"] == 3
    arrays = np.load(tmp_path / "model")  # readable as a plain .npz, without pickle
    np.testing.assert_array_equal(arrays["components"], model.components_)


def test_same_model_same_bytes_and_compression(tmp_path, allow_extra_attributes):
    model = SVDEmbedder(n_components=3).fit(np.repeat(X, 20, axis=0))
    model.big_ = np.zeros(100_000)
    a, b = save(model, tmp_path / "a"), save(model, tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()
    c = save(model, tmp_path / "c", compress=True)
    assert c.stat().st_size < a.stat().st_size / 10
    _assert_same(load(c), model)


# -- errors and safety ---------------------------------------------------------

def test_unsupported_attribute_names_it_and_writes_nothing(tmp_path):
    model = SVDEmbedder(n_components=2).fit(X)
    path = tmp_path / "m"
    path.write_bytes(b"previous content")
    model.extra_ = {"ok": 1, "callback": lambda v: v}
    with pytest.raises(TypeError, match=r"'extra_\.callback' of type .*function"):
        save(model, path)
    assert path.read_bytes() == b"previous content"
    assert os.listdir(tmp_path) == ["m"]


@pytest.mark.parametrize(
    "value, message",
    [
        (np.array([{"a": 1}], dtype=object), "object array"),
        (sp.random(3, 3, density=0.5, format="lil", random_state=0), r"\.tocsr\(\)"),
        (PCA(), "PCA"),
        (np.ma.masked_array([1.0]), "not a plain numpy array"),
        (np.zeros(2, dtype=[("a", "f4")]), "structured"),
        (set([1]), "set"),
    ],
)
def test_unsupported_values(value, message, tmp_path):
    model = SVDEmbedder(n_components=2)
    model.bad_ = value
    with pytest.raises(TypeError, match=message):
        save(model, tmp_path / "m")
    assert not os.listdir(tmp_path)


def test_cycles_and_non_veob_models_are_refused(tmp_path):
    model = SVDEmbedder(n_components=2)
    loop = []
    loop.append(loop)
    model.loop_ = loop
    with pytest.raises(TypeError, match="refers back"):
        save(model, tmp_path / "m")
    with pytest.raises(TypeError, match="must be a veob object.*PCA"):
        save(PCA(2).fit(X), tmp_path / "m")
    with pytest.raises(TypeError, match="path="):
        save(SVDEmbedder(), 3)
    with pytest.raises(ValueError, match="is a folder"):
        save(SVDEmbedder(), tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save(SVDEmbedder(), tmp_path / "missing" / "m")


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    model = SVDEmbedder(n_components=3).fit(X)
    path = save(model, tmp_path / "model")
    before = path.read_bytes()
    calls = []
    real = np.lib.format.write_array

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", failing)
    with pytest.raises(OSError, match="No space left"):
        save(SVDEmbedder(n_components=5).fit(X), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model"]


def _rewrite_meta(path, edit):
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    meta = json.loads(members["veob.json"])
    edit(meta)
    members["veob.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def test_newer_format_is_refused_with_upgrade_hint(tmp_path):
    path = save(SVDEmbedder(n_components=2).fit(X), tmp_path / "m")
    _rewrite_meta(path, lambda meta: meta.update(format_version=FORMAT_VERSION + 2))
    newer = rf"format {FORMAT_VERSION + 2} .*reads format <= {FORMAT_VERSION}: upgrade veob"
    with pytest.raises(ValueError, match=newer):
        load(path)


@pytest.mark.parametrize(
    "module, qualname",
    [
        ("sklearn.decomposition", "PCA"),
        ("os", "system"),
        ("veob.decomposition._embedder", "BaseEstimator"),  # reachable from veob, but not a veob class
        ("veob.decomposition._embedder", "np"),
        ("veob", "__class__"),
        ("veobx.evil", "Thing"),
    ],
)
def test_only_veob_classes_are_built(module, qualname, tmp_path):
    path = save(SVDEmbedder(n_components=2).fit(X), tmp_path / "m")

    def edit(meta):
        meta["model"]["module"], meta["model"]["class"] = module, qualname

    _rewrite_meta(path, edit)
    with pytest.raises(ValueError, match="not part of veob|not a veob class"):
        load(path)


def test_pickled_members_are_never_unpickled(tmp_path):
    path = save(SVDEmbedder(n_components=2).fit(X), tmp_path / "m")
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    buf = __import__("io").BytesIO()
    np.lib.format.write_array(buf, np.array([{"payload": 1}], dtype=object), allow_pickle=True)
    members["components.npy"] = buf.getvalue()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(ValueError, match="corrupt.*pickle"):
        load(path)


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file"):
        load(tmp_path / "absent")
    with pytest.raises(ValueError, match="is a folder"):
        load(tmp_path)
    (tmp_path / "text").write_text("hello")
    with pytest.raises(ValueError, match="not a veob model file"):
        load(tmp_path / "text")
    np.savez(tmp_path / "plain.npz", a=np.arange(3))
    with pytest.raises(ValueError, match="not a veob model file"):
        load(tmp_path / "plain.npz")
    path = save(SVDEmbedder(n_components=2).fit(X), tmp_path / "m")
    _rewrite_meta(path, lambda meta: meta["model"]["state"].update(components_={"__veob__": "ndarray",
                                                                               "member": "gone.npy"}))
    with pytest.raises(ValueError, match="corrupt.*gone.npy"):
        load(path)
    _rewrite_meta(path, lambda meta: meta.update(format_version="1"))
    with pytest.raises(ValueError, match="corrupt"):
        load(path)


def test_files_written_before_a_rename_load_under_the_new_names():
    from veob._io import _renamed_on_load
    from veob.models import JointEmbeddingClassifier
    from veob.text import ReviewComposer

    for cls in (JointEmbeddingClassifier, ReviewComposer):
        assert _renamed_on_load(cls, {"alpha": 0.5, "random_state": 0}) == {"label_weight": 0.5, "random_state": 0}
        assert _renamed_on_load(cls, {"alpha_": 0.5}) == {"label_weight_": 0.5}
        # a file written after the rename keeps both (alpha="deprecated" is a parameter of its own)
        assert _renamed_on_load(cls, {"alpha": "deprecated", "label_weight": 1.0}) == {"alpha": "deprecated",
                                                                                      "label_weight": 1.0}
