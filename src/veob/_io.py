"""Save and load fitted veob models: one file, arrays + JSON, never pickle."""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import math
import numbers
import os
import re
import sys
import uuid
import zipfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp

__all__ = ["FORMAT_VERSION", "load", "save"]

#: Version of the file layout written by :func:`save`; :func:`load` reads this
#: version and every older one and refuses newer files.
FORMAT_VERSION = 1

_FORMAT = "veob.save"
_META = "veob.json"
_TAG = "__veob__"
_DATE = (1980, 1, 1, 0, 0, 0)  # fixed zip timestamps: the same model gives the same bytes
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BUILTIN_TYPES = {"bool": bool, "int": int, "float": float, "complex": complex, "str": str}
_SPARSE_FORMATS = {"csr": ("data", "indices", "indptr"), "csc": ("data", "indices", "indptr"),
                   "coo": ("data", "row", "col")}
_ALLOWED = (
    "arrays, numbers, strings, None, lists/tuples/dicts of those, numpy dtypes and scalars, "
    "scipy sparse csr/csc/coo matrices, RandomState/Generator objects and veob objects"
)


def _is_veob_class(cls):
    module = getattr(cls, "__module__", "") or ""
    return module == "veob" or module.startswith("veob.")


def _class_path(cls):
    """(module, qualname) under which ``cls`` is public, preferring the subpackage."""
    qualname = cls.__qualname__
    if "<locals>" in qualname:
        raise TypeError(f"cannot save an instance of {qualname}: a class defined inside a function")
    parts = cls.__module__.split(".")
    for depth in range(2, len(parts) + 1):
        candidate = ".".join(parts[:depth])
        if any(p.startswith("_") for p in parts[:depth]):
            continue
        try:
            obj = importlib.import_module(candidate)
            for attr in qualname.split("."):
                obj = getattr(obj, attr)
        except (ImportError, AttributeError):
            continue
        if obj is cls:
            return candidate, qualname
    return cls.__module__, qualname


class _Encoder:
    """Turns a value into a JSON node, collecting arrays as zip members."""

    def __init__(self):
        self.arrays = {}
        self._active = set()

    def _member(self, where, arr):
        base = re.sub(r"[^A-Za-z0-9_.\[\]-]+", "_", where).strip("_") or "array"
        name, i = base, 1
        while f"{name}.npy" in self.arrays:
            i += 1
            name = f"{base}#{i}"
        if arr.dtype.hasobject:
            raise TypeError(f"cannot save {where!r}: an object array that is not all strings")
        self.arrays[f"{name}.npy"] = arr
        return f"{name}.npy"

    def encode(self, value, where):
        if value is None or isinstance(value, (bool, int)) and not isinstance(value, np.generic):
            return value
        if isinstance(value, str) and not isinstance(value, np.generic):
            return value
        if isinstance(value, float) and not isinstance(value, np.generic):
            return value if math.isfinite(value) else {_TAG: "float", "value": repr(value)}
        if isinstance(value, np.ndarray):
            return self._ndarray(value, where)
        if isinstance(value, np.generic):
            return self._scalar(value, where)
        if isinstance(value, np.dtype):
            if value.fields is not None:
                raise TypeError(f"cannot save {where!r}: structured dtype {value}")
            return {_TAG: "dtype", "value": value.str}
        if isinstance(value, type):
            return self._type(value, where)
        if sp.issparse(value):
            return self._sparse(value, where)
        if isinstance(value, np.random.RandomState):
            return {_TAG: "random_state", "state": self.encode(value.get_state(legacy=True), f"{where}.state")}
        if isinstance(value, np.random.Generator):
            bitgen = value.bit_generator
            return {_TAG: "generator", "bit_generator": type(bitgen).__name__,
                    "state": self.encode(bitgen.state, f"{where}.state")}
        key = id(value)
        if key in self._active:
            raise TypeError(f"cannot save {where!r}: it refers back to an object that contains it")
        self._active.add(key)
        try:
            if type(value) is list:
                return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
            if type(value) is tuple:
                return {_TAG: "tuple", "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
            if type(value) is dict:
                return self._dict(value, where)
            if _is_veob_class(type(value)):
                return self._object(value, where)
        finally:
            self._active.discard(key)
        raise TypeError(
            f"cannot save {where!r} of type {type(value).__module__}.{type(value).__qualname__}: "
            f"veob.save stores {_ALLOWED}"
        )

    def _ndarray(self, arr, where):
        if type(arr) is not np.ndarray and not isinstance(arr, np.memmap):
            raise TypeError(f"cannot save {where!r}: {type(arr).__name__} is not a plain numpy array")
        node = {_TAG: "ndarray"}
        if arr.dtype.hasobject:
            if not all(isinstance(v, str) for v in arr.flat):
                raise TypeError(
                    f"cannot save {where!r}: an object array whose items are not all str "
                    "(only numeric, bool, str and object-of-str arrays are stored)"
                )
            arr = arr.astype(str) if arr.size else np.empty(arr.shape, dtype="<U1")
            node["object"] = True
        elif arr.dtype.fields is not None:
            raise TypeError(f"cannot save {where!r}: structured arrays are not supported")
        node["member"] = self._member(where, np.asarray(arr))
        return node

    def _scalar(self, value, where):
        kind = value.dtype.kind
        if kind in "biu":
            return {_TAG: "scalar", "dtype": value.dtype.str, "value": value.item()}
        if kind == "f":
            v = float(value)
            return {_TAG: "scalar", "dtype": value.dtype.str,
                    "value": v if math.isfinite(v) else {_TAG: "float", "value": repr(v)}}
        return {_TAG: "scalar0d", "member": self._member(where, np.asarray(value))}

    def _type(self, value, where):
        if value in _BUILTIN_TYPES.values():
            return {_TAG: "builtin_type", "value": value.__name__}
        if issubclass(value, np.generic):
            return {_TAG: "numpy_type", "value": np.dtype(value).str}
        raise TypeError(f"cannot save {where!r}: the class {value.__qualname__} (only numpy/builtin scalar types)")

    def _sparse(self, value, where):
        fmt = value.format
        if fmt not in _SPARSE_FORMATS:
            raise TypeError(
                f"cannot save {where!r}: a scipy sparse '{fmt}' matrix; convert it with .tocsr() "
                "(csr, csc and coo are stored)"
            )
        if fmt == "coo":
            parts = {"data": value.data, "row": value.coords[0], "col": value.coords[1]}
        else:
            parts = {name: getattr(value, name) for name in _SPARSE_FORMATS[fmt]}
        return {
            _TAG: "sparse", "format": fmt, "shape": list(map(int, value.shape)),
            "array": isinstance(value, sp.sparray),
            "members": {name: self._member(f"{where}.{name}", np.asarray(arr)) for name, arr in parts.items()},
        }

    def _dict(self, value, where):
        if all(isinstance(k, str) for k in value):
            return {_TAG: "dict", "items": {k: self.encode(v, f"{where}.{k}") for k, v in value.items()}}
        return {_TAG: "pairs", "items": [
            [self.encode(k, f"{where}.<key {i}>"), self.encode(v, f"{where}[{k!r}]")]
            for i, (k, v) in enumerate(value.items())
        ]}

    def _object(self, obj, where):
        cls = type(obj)
        try:
            state = dict(vars(obj))
        except TypeError:
            raise TypeError(f"cannot save {where!r}: {cls.__qualname__} has no __dict__") from None
        params = {}
        if hasattr(obj, "get_params"):
            try:
                params = obj.get_params(deep=False)
            except Exception:
                params = {}
            params = {k: state.pop(k) for k in list(params) if k in state}
        module, qualname = _class_path(cls)
        prefix = f"{where}." if where else ""
        return {
            _TAG: "object", "module": module, "class": qualname,
            "params": {k: self.encode(v, f"{prefix}{k}") for k, v in params.items()},
            "state": {k: self.encode(v, f"{prefix}{k}") for k, v in state.items()},
        }


class _Decoder:
    def __init__(self, zf, path):
        self.zf = zf
        self.path = path
        self.names = set(zf.namelist())

    def corrupt(self, what, located=False):
        exc = ValueError(f"{str(self.path)!r} is corrupt ({what}); save the model again with veob.save")
        exc.veob_what, exc.veob_located = what, located
        return exc

    def field(self, cls, kind, name, node):
        """Decode one parameter or attribute; a failure names the field."""
        try:
            return self.decode(node)
        except Exception as exc:
            if getattr(exc, "veob_located", False) or (
                    isinstance(exc, (ValueError, TypeError)) and str(self.path) in str(exc)
                    and not hasattr(exc, "veob_what")):
                raise
            what = getattr(exc, "veob_what", None) or f"{type(exc).__name__}: {exc}"
            raise self.corrupt(f"{kind} {name!r} of the {cls.__qualname__}: {what}", located=True) from None

    def array(self, member):
        if not isinstance(member, str) or member not in self.names:
            raise self.corrupt(f"array member {member!r} is missing")
        with self.zf.open(member) as fh:
            try:
                return np.lib.format.read_array(fh, allow_pickle=False)
            except ValueError as exc:
                raise self.corrupt(f"array member {member!r}: {exc}") from None

    def decode(self, node):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict) or _TAG not in node:
            raise self.corrupt(f"unexpected JSON value {str(node)[:60]}")
        tag = node[_TAG]
        if tag == "float":
            return float(node["value"])
        if tag == "tuple":
            return tuple(self.decode(v) for v in node["items"])
        if tag == "dict":
            return {k: self.decode(v) for k, v in node["items"].items()}
        if tag == "pairs":
            return {self._key(self.decode(k)): self.decode(v) for k, v in node["items"]}
        if tag == "ndarray":
            arr = self.array(node["member"])
            return arr.astype(object) if node.get("object") else arr
        if tag == "scalar":
            return np.dtype(node["dtype"]).type(self.decode(node["value"]))
        if tag == "scalar0d":
            return self.array(node["member"])[()]
        if tag == "dtype":
            return np.dtype(node["value"])
        if tag == "numpy_type":
            return np.dtype(node["value"]).type
        if tag == "builtin_type":
            if node["value"] not in _BUILTIN_TYPES:
                raise self.corrupt(f"unknown type {node['value']!r}")
            return _BUILTIN_TYPES[node["value"]]
        if tag == "sparse":
            return self._sparse(node)
        if tag == "random_state":
            rs = np.random.RandomState()
            rs.set_state(self.decode(node["state"]))
            return rs
        if tag == "generator":
            name = node["bit_generator"]
            bitgen_cls = getattr(np.random, name, None)
            if not (isinstance(bitgen_cls, type) and issubclass(bitgen_cls, np.random.BitGenerator)):
                raise self.corrupt(f"unknown bit generator {name!r}")
            bitgen = bitgen_cls()
            bitgen.state = self.decode(node["state"])
            return np.random.Generator(bitgen)
        if tag == "object":
            return self._object(node)
        raise self.corrupt(f"unknown value tag {tag!r}")

    @staticmethod
    def _key(key):
        return tuple(key) if isinstance(key, list) else key

    def _sparse(self, node):
        fmt = node["format"]
        if fmt not in _SPARSE_FORMATS:
            raise self.corrupt(f"unknown sparse format {fmt!r}")
        parts = {name: self.array(member) for name, member in node["members"].items()}
        shape = tuple(node["shape"])
        if fmt == "coo":
            args = (parts["data"], (parts["row"], parts["col"]))
        else:
            args = (parts["data"], parts["indices"], parts["indptr"])
        kind = f"{fmt}_{'array' if node.get('array') else 'matrix'}"
        return getattr(sp, kind)(args, shape=shape)

    def _object(self, node):
        cls = _resolve_class(node.get("module"), node.get("class"), self.path)
        params, state = node.get("params"), node.get("state")
        if not isinstance(params, dict) or not isinstance(state, dict):
            raise self.corrupt(f"the {cls.__qualname__} has no parameter or attribute table")
        params, state = _renamed_on_load(cls, params), _renamed_on_load(cls, state)
        _check_schema(cls, params, state, self.path)
        obj = cls.__new__(cls)
        for name in _param_names(cls) or ():
            if name not in params:  # a parameter newer than the file: its default
                obj.__dict__[name] = _param_default(cls, name)
        obj.__dict__.update({k: self.field(cls, "parameter", k, v) for k, v in params.items()})
        values = {k: self.field(cls, "attribute", k, v) for k, v in state.items()}
        for name, value in values.items():
            _check_finite(value, name, cls, self.path)
        obj.__dict__.update(values)
        _check_params(obj, cls, self.path)
        return obj


def _renamed_on_load(cls, table):
    """Names a file written before a rename carries, under their new names (``cls._renamed_on_load``)."""
    renamed = getattr(cls, "_renamed_on_load", None) or {}
    return {(renamed[k] if k in renamed and renamed[k] not in table else k): v for k, v in table.items()}


# -- the schema of a veob class: what load accepts -----------------------------

def _param_names(cls):
    """The constructor parameters of an estimator (None for classes without get_params)."""
    if not hasattr(cls, "get_params"):
        return None
    getter = getattr(cls, "_get_param_names", None)
    if getter is not None:
        return list(getter())
    sig = inspect.signature(cls.__init__)
    return [n for n, p in sig.parameters.items()
            if n != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


# set on veob estimators by scikit-learn's validation helpers (validate_data) and set_output
_SKLEARN_ATTRIBUTES = frozenset({"n_features_in_", "feature_names_in_", "_sklearn_output_config",
                                 "_metadata_request"})


@functools.lru_cache(maxsize=None)
def _module_assignments(module_name):
    """Every attribute name a module's code assigns (``obj.name = ...``, ``setattr(obj, "name", ...)``)."""
    import ast

    module = sys.modules.get(module_name) or importlib.import_module(module_name)
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError, SyntaxError):  # no source (frozen install): no schema to check against
        return None
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr"
              and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
              and isinstance(node.args[1].value, str)):
            names.add(node.args[1].value)
    return frozenset(names)


def _known_attributes(cls):
    """Names a ``cls`` instance can hold: its parameters and every attribute its code assigns.

    Taken from the sources of the modules defining ``cls`` and its base
    classes (an attribute set in ``fit`` or in a helper of the same module
    counts). None when a source is unavailable: then nothing is checked.
    """
    names = set(_param_names(cls) or ()) | _SKLEARN_ATTRIBUTES
    for base in cls.__mro__:
        if base is object or base.__module__ == "builtins":
            continue
        found = _module_assignments(base.__module__)
        if found is None:
            return None
        names |= found
    return names


def _param_default(cls, name):
    p = inspect.signature(cls.__init__).parameters.get(name)
    return inspect.Parameter.empty if p is None else p.default


def _check_schema(cls, params, state, path):
    """The stored parameter and attribute names must be those of ``cls``."""
    qual = ".".join(_class_path(cls))
    expected = _param_names(cls)
    if expected is not None:
        unknown = [k for k in params if k not in expected]
        # a parameter added after the file was written takes its default (as the class would)
        missing = [k for k in expected if k not in params and _param_default(cls, k) is inspect.Parameter.empty]
        if unknown or missing:
            parts = []
            if unknown:
                parts.append(f"parameter {unknown[0]!r}, which {cls.__qualname__} does not take")
            if missing:
                parts.append(f"no parameter {missing[0]!r}, which {cls.__qualname__} needs")
            raise ValueError(
                f"{str(path)!r} names the class {qual} but holds " + " and ".join(parts)
                + " (was the file edited, or its class name changed?); save the model again"
            )
    elif params:
        raise ValueError(f"{str(path)!r} names the class {qual}, which takes no parameters, but stores "
                         f"parameter {next(iter(params))!r}; save the model again")
    known = _known_attributes(cls)
    if known is None:
        return
    for name in state:
        if not isinstance(name, str) or name not in known:
            raise ValueError(
                f"{str(path)!r} names the class {qual} but holds the attribute {name!r}, which "
                f"{cls.__qualname__} never has (was the file edited, or its class name changed?); "
                "save the model again"
            )


def _check_finite(value, where, cls, path):
    """Reject NaN or infinity in a stored float array (fitted arrays, also nested ones)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fc" and value.size and not np.isfinite(value).all():
            bad = np.argwhere(~np.isfinite(value))[0]
            pos = tuple(int(i) for i in bad)
            raise ValueError(
                f"{str(path)!r}: the {cls.__qualname__} attribute {where!r} holds NaN or infinity "
                f"(first at index {pos[0] if len(pos) == 1 else pos}); a fitted model has finite "
                "arrays: save the model again"
            )
    elif sp.issparse(value):
        _check_finite(np.asarray(value.data), f"{where}.data", cls, path)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_finite(v, f"{where}[{i}]", cls, path)
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_finite(v, f"{where}[{k!r}]", cls, path)


def _check_params(obj, cls, path):
    """Validate a loaded estimator's parameters as its ``fit`` does.

    Classes with a ``_check_params()`` method (the validation ``fit`` runs)
    are checked with it; ``PatchEmbedder``-style ``_check_params(image_shape)``
    gets the fitted ``image_shape_``. Otherwise a parameter whose default is a
    number must still be a number (or None), and one whose default is a bool a
    bool.
    """
    names = _param_names(cls)
    if names is None:
        return
    qual = cls.__qualname__
    check = getattr(cls, "_check_params", None)
    try:
        if check is not None:
            required = [p for n, p in inspect.signature(check).parameters.items()
                        if n != "self" and p.default is p.empty
                        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
            if not required:
                check(obj)
                return
            if len(required) == 1 and hasattr(obj, required[0].name + "_"):
                check(obj, getattr(obj, required[0].name + "_"))
                return
        _check_param_types(obj, cls)
    except (ValueError, TypeError) as exc:
        message = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
        raise type(exc)(f"{str(path)!r} holds a {qual} with an invalid parameter: {message}; "
                        "save the model again") from None
    except Exception as exc:  # a parameter of the wrong kind broke the check itself
        raise ValueError(f"{str(path)!r} holds a {qual} whose parameters do not validate "
                         f"({type(exc).__name__}: {exc}); save the model again") from None


def _check_param_types(obj, cls):
    sig = inspect.signature(cls.__init__)
    for name, p in sig.parameters.items():
        if name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default, value = p.default, getattr(obj, name, None)
        if value is None or default is p.empty:
            continue
        if isinstance(default, bool):
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{name}={value!r} must be True or False")
        elif isinstance(default, numbers.Real):
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
                raise TypeError(f"{name}={value!r} must be a number (default {default!r})")


def _resolve_class(module, qualname, path):
    """Import a class by name, refusing anything outside the veob package."""
    if not (isinstance(module, str) and isinstance(qualname, str)):
        raise ValueError(f"{str(path)!r} is corrupt (no class name); save the model again with veob.save")
    if not (module == "veob" or module.startswith("veob.")) or not all(
        _IDENT.match(p) for p in module.split(".") + qualname.split(".")
    ):
        raise ValueError(
            f"{str(path)!r} names the class {module}.{qualname}, which is not part of veob; "
            "veob.load only builds veob classes"
        )
    try:
        obj = importlib.import_module(module)
        for attr in qualname.split("."):
            obj = getattr(obj, attr)
    except (ImportError, AttributeError):
        raise ValueError(
            f"{str(path)!r} holds a {module}.{qualname}, which this veob does not have: "
            "upgrade veob or load it with the version that saved it"
        ) from None
    if not isinstance(obj, type) or not _is_veob_class(obj):
        raise ValueError(f"{str(path)!r} names {module}.{qualname}, which is not a veob class")
    return obj


def _check_path(path, name="path"):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name}={path!r} must be a str or a path-like object")
    return Path(os.fspath(path)).expanduser()


def save(model, path, *, compress=False):
    r"""Save a fitted veob model to exactly one file at ``path``.

    Parameters
    ----------
    model : veob object
        Any veob estimator or model (``SVDEmbedder``, ``IncrementalSVD``,
        ``DCT2Transformer``, ``VoronoiPartition``, ``CellIndex``, ...),
        fitted or not.
    path : str or path-like
        Destination file. Used exactly as given: no extension is added. An
        existing file is replaced.
    compress : bool, default=False
        Deflate the members (smaller, slower; float data shrink little).

    Returns
    -------
    path : pathlib.Path
        The file written.

    Raises
    ------
    TypeError
        When the model is not a veob object, or an attribute holds a value
        that cannot be stored (the message names the attribute).

    See Also
    --------
    load : Read the file back.

    Notes
    -----
    The file is a zip archive in numpy's ``.npz`` layout: one ``.npy``
    member per array (readable with ``numpy.load(path)``) and a member
    ``veob.json`` holding the format version, the veob version, the class
    (``veob.decomposition.SVDEmbedder``), the parameters (``get_params``)
    and the rest of the fitted state as JSON, arrays referenced by member
    name. Stored values: numpy arrays (numeric, bool, str, object arrays of
    str), numbers, strings, None, lists/tuples/dicts of those, numpy
    scalars and dtypes, scipy sparse csr/csc/coo matrices, RandomState and
    Generator objects, and nested veob objects (recursively, with key
    prefixes such as ``embedder_.components_``). Nothing is pickled.

    The file is written to a temporary name in the same folder and renamed
    into place, so a failed save never leaves a partial file and never
    clobbers an existing one.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import veob
    >>> from veob import SVDEmbedder
    >>> X = np.random.default_rng(0).standard_normal((50, 8))
    >>> emb = SVDEmbedder(n_components=3).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "embedder.veob")
    >>> veob.save(emb, path).name
    'embedder.veob'
    >>> again = veob.load(path)
    >>> bool(np.array_equal(again.transform(X), emb.transform(X)))
    True
    """
    if not _is_veob_class(type(model)):
        raise TypeError(
            f"model must be a veob object; got {type(model).__module__}.{type(model).__qualname__}"
        )
    path = _check_path(path)
    if path.is_dir():
        raise ValueError(f"path={str(path)!r} is a folder; pass a file name")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot save to {str(path)!r}: the folder {str(path.parent)!r} does not exist")
    from ._version import __version__

    encoder = _Encoder()
    root = encoder.encode(model, "")  # raises before any file is touched
    meta = {
        "format": _FORMAT,
        "format_version": FORMAT_VERSION,
        "veob_version": __version__,
        "numpy_version": np.__version__,
        "model": root,
    }
    text = json.dumps(meta, allow_nan=False).encode("utf-8")  # key order kept: dicts round-trip in order
    _write_atomic(path, text, encoder.arrays, zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)
    return path


def _write_atomic(path, meta_bytes, arrays, compression):
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as fh:
            with zipfile.ZipFile(fh, "w", compression=compression, allowZip64=True) as zf:
                info = zipfile.ZipInfo(_META, date_time=_DATE)
                info.compress_type = compression
                zf.writestr(info, meta_bytes)
                for name, arr in arrays.items():
                    info = zipfile.ZipInfo(name, date_time=_DATE)
                    info.compress_type = compression
                    with zf.open(info, "w", force_zip64=True) as member:
                        np.lib.format.write_array(member, np.asarray(arr), allow_pickle=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def load(path):
    """Load a model written by :func:`save`.

    Parameters
    ----------
    path : str or path-like
        The file, exactly as passed to :func:`save`.

    Returns
    -------
    model : veob object
        A new instance of the saved class with its parameters and fitted
        state; it transforms/predicts exactly like the saved one.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When the file is not a veob model file, is corrupt, was written by
        a newer format version, names a class outside veob, does not match
        its class (a parameter or attribute that class does not have), holds
        a parameter its class's ``fit`` would refuse, or a float array with
        NaN or infinity. The message names the file and the field.
    TypeError
        When a parameter has a type its class's ``fit`` refuses (the message
        names the parameter).

    See Also
    --------
    save : Write the file.

    Notes
    -----
    Loading never unpickles: arrays are read with ``allow_pickle=False``,
    and the only classes built are veob's own, imported by module and name
    and created with ``cls.__new__`` before their saved attributes are set.

    A saved model is data and is checked as data, for every object in the
    file (nested ones too): the stored parameter names must be exactly the
    class's constructor parameters, every stored attribute must be one the
    class's code can set, the parameters go through the checks ``fit`` runs
    (the class's ``_check_params``; a type check against the defaults for
    classes without one), and float arrays must be finite.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import veob
    >>> from veob import IncrementalSVD
    >>> X = np.random.default_rng(0).standard_normal((200, 10))
    >>> inc = IncrementalSVD(3, batch_size=50).fit(X[:100])
    >>> path = os.path.join(tempfile.mkdtemp(), "inc")
    >>> _ = veob.save(inc, path)
    >>> resumed = veob.load(path).partial_fit(X[100:])
    >>> bool(np.allclose(resumed.singular_values_, inc.partial_fit(X[100:]).singular_values_))
    True
    """
    path = _check_path(path)
    if not path.exists():
        raise FileNotFoundError(f"no model file at {str(path)!r}: pass the path given to veob.save")
    if path.is_dir():
        raise ValueError(f"path={str(path)!r} is a folder; pass the file written by veob.save")
    not_ours = (f"{str(path)!r} is not a veob model file (expected a zip archive with a "
                f"{_META} member, as written by veob.save)")
    try:
        zf = zipfile.ZipFile(path)
    except Exception:  # BadZipFile, OSError, and whatever a damaged header raises
        raise ValueError(not_ours) from None
    with zf:
        try:
            meta = json.loads(zf.read(_META).decode("utf-8"))
        except KeyError:
            raise ValueError(not_ours) from None
        except Exception as exc:  # damaged member: bad CRC, compression method, JSON, encoding
            raise ValueError(f"{str(path)!r} is corrupt ({_META}: {type(exc).__name__}: {exc}); "
                             "save the model again") from None
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
            raise ValueError(not_ours)
        version = meta.get("format_version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ValueError(f"{str(path)!r} is corrupt (format_version={version!r}); save the model again")
        if version > FORMAT_VERSION:
            from ._version import __version__

            raise ValueError(
                f"{str(path)!r} was written by format {version} (veob {meta.get('veob_version', '?')}); "
                f"this veob {__version__} reads format <= {FORMAT_VERSION}: upgrade veob "
                "(pip install -U veob)"
            )
        root = meta.get("model")
        if not isinstance(root, dict) or root.get(_TAG) != "object":
            raise ValueError(f"{str(path)!r} is corrupt (no model object); save the model again")
        try:
            return _Decoder(zf, path).decode(root)
        except (ValueError, TypeError) as exc:
            if str(path) in str(exc):  # our own message: it names the file and what is wrong
                raise
            raise ValueError(
                f"{str(path)!r} is corrupt ({type(exc).__name__}: {exc}); save the model again"
            ) from None
        except Exception as exc:  # a damaged archive or JSON tree fails in many ways: all are "corrupt"
            raise ValueError(
                f"{str(path)!r} is corrupt ({type(exc).__name__}: {exc}); save the model again"
            ) from None

