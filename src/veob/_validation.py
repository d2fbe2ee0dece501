"""Input validation shared by the public functions of veob.

Every check raises ``ValueError`` or ``TypeError`` whose message names the
argument, the value received and what is allowed, in the style of
"n_components=800 must be <= min(n_samples, n_features)=784".
"""

from __future__ import annotations

import copy
import numbers
import re
import warnings

import numpy as np
import scipy.sparse as sp

__all__ = [
    "InvalidParameterError",
    "check_matrix",
    "check_int",
    "check_n_jobs",
    "check_random_state",
    "check_real",
    "float_dtype_for",
    "renamed_parameter",
]


class InvalidParameterError(ValueError, TypeError):
    """A parameter that is not a finite number where one is required.

    Both a ``ValueError`` and a ``TypeError`` (as scikit-learn's
    ``InvalidParameterError``), so callers may catch either.
    """

_FLOAT_DTYPES = (np.float32, np.float64)


def float_dtype_for(dtype) -> np.dtype:
    """Return the floating dtype veob computes in for input ``dtype``.

    float32 stays float32 (never silently upcast); every other numeric type
    (bool, integers, float16, float64) is computed in float64, except
    small unsigned/signed integers of 8 or 16 bits, which fit exactly in
    float32 and are computed in float32 to keep image pipelines light.
    """
    dtype = np.dtype(dtype)
    if dtype == np.float32 or dtype == np.float16:
        return np.dtype(np.float32)
    if dtype.kind in "ui" and dtype.itemsize <= 2:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _describe(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_int(value, name: str, *, low=None, high=None, high_name=None) -> int:
    """Validate an integer parameter ``low <= value <= high``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}={_describe(value)} must be an integer")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name}={value} must be >= {low}")
    if high is not None and value > high:
        bound = f"{high_name}={high}" if high_name else str(high)
        raise ValueError(f"{name}={value} must be <= {bound}")
    return value


def check_n_jobs(n_jobs, name: str = "n_jobs"):
    """Validate ``n_jobs`` as scikit-learn reads it: None, or a non-zero integer.

    Returns None or an int; :func:`veob._threads.effective_n_jobs` turns it
    into a thread count (None: the enclosing joblib context's n_jobs, else
    the current default; -1: all CPUs; -2: all but one; ...).
    """
    if n_jobs is None:
        return None
    if isinstance(n_jobs, (bool, np.bool_)) or not isinstance(n_jobs, numbers.Integral):
        raise TypeError(f"{name}={_describe(n_jobs)} must be None or an integer")
    if n_jobs == 0:
        raise ValueError(f"{name}=0 is not allowed: use None, a positive number of threads, -1 for all CPUs "
                         "or -2 for all but one")
    return int(n_jobs)


def _interval(low, high, low_inclusive, high_inclusive) -> str:
    if low is not None and high is not None:
        return f" in {'[' if low_inclusive else '('}{low:g}, {high:g}{']' if high_inclusive else ')'}"
    if low is not None:
        return f" {'>=' if low_inclusive else '>'} {low:g}"
    if high is not None:
        return f" {'<=' if high_inclusive else '<'} {high:g}"
    return ""


def check_real(value, name: str, *, low=None, high=None, low_inclusive=True, high_inclusive=True,
               allow=()) -> float:
    """Validate a finite real parameter in an interval and return it as a float.

    Parameters
    ----------
    value : object
        The parameter value.
    name : str
        Its name in error messages (e.g. ``"alpha"`` or ``"edit_costs['vowel']"``).
    low, high : float, optional
        Bounds of the allowed interval; None leaves that side open.
    low_inclusive, high_inclusive : bool, default=True
        Whether the bound itself is allowed (``>=`` rather than ``>``).
    allow : tuple of str, default=()
        Other accepted values (e.g. ``("auto",)``), returned unchanged.

    Raises
    ------
    InvalidParameterError
        (a ValueError and a TypeError) if ``value`` is not a real number
        (bool is not), or is NaN or infinite.
    ValueError
        If ``value`` lies outside the interval. Both messages name the
        argument, the value and what is allowed, e.g.
        ``"alpha=-1.0 must be a finite number >= 0"`` or
        ``"alpha=-1.0 must be 'auto' or a finite number > 0"``.

    Examples
    --------
    >>> from veob._validation import check_real
    >>> check_real(3, "alpha", low=0)
    3.0
    >>> check_real("auto", "alpha", low=0, allow=("auto",))
    'auto'
    >>> check_real(1.0, "fraction", low=0, high=1, high_inclusive=False)
    Traceback (most recent call last):
    ...
    ValueError: fraction=1.0 must be a finite number in [0, 1)
    """
    if isinstance(value, str) and value in allow:
        return value
    options = "".join(f"{a!r} or " for a in allow)
    what = f"must be {options}a finite number{_interval(low, high, low_inclusive, high_inclusive)}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise InvalidParameterError(f"{name}={_describe(value)} {what}")
    number = float(value)
    if (low is not None and (number < low or (not low_inclusive and number == low))) or \
            (high is not None and (number > high or (not high_inclusive and number == high))):
        raise ValueError(f"{name}={_describe(value)} {what}")
    return number


def renamed_parameter(estimator, new: str, old: str, *, default):
    """Value of the parameter ``new`` of ``estimator``, honouring its deprecated old name ``old``.

    scikit-learn's deprecation pattern: ``__init__`` keeps ``old="deprecated"``;
    when the user set ``old``, this warns with a FutureWarning and returns
    its value (the old name keeps working for one release). Setting both
    names is an error.
    """
    value = getattr(estimator, old)
    if isinstance(value, str) and value == "deprecated":
        return getattr(estimator, new)
    cls = type(estimator).__name__
    current = getattr(estimator, new)
    if not (type(current) is type(default) and current == default):
        raise ValueError(f"{cls}: pass {new}= only ({old}= is its deprecated old name); got {old}={value!r} "
                         f"and {new}={current!r}")
    warnings.warn(f"{cls}({old}=...) is deprecated and will be removed in the next release: it was renamed "
                  f"{new}; use {cls}({new}={value!r})", FutureWarning, stacklevel=3)
    return value


def check_random_state(random_state) -> np.random.RandomState:
    """Turn ``None``, an int or a RandomState/Generator into a RandomState.

    ``None`` is a fresh unseeded RandomState, an int seeds one, and a
    RandomState is returned as is (and advanced by the caller's draws, as
    in scikit-learn). A ``numpy.random.Generator`` is never advanced: the
    RandomState draws from a copy of its bit generator in its current
    state, so the caller's Generator is left as it was and the same
    Generator (in the same state) gives the same results every time. For
    independent streams pass different Generators (e.g. from
    ``rng.spawn(n)``) or seeds drawn from one.

    Examples
    --------
    >>> import numpy as np
    >>> from veob._validation import check_random_state
    >>> rng = np.random.default_rng(0)
    >>> a = check_random_state(rng).randint(1000, size=3)
    >>> b = check_random_state(rng).randint(1000, size=3)
    >>> bool((a == b).all()), int(rng.integers(1000)) == int(np.random.default_rng(0).integers(1000))
    (True, True)
    """
    if random_state is None or isinstance(random_state, (numbers.Integral, np.integer)):
        if isinstance(random_state, (bool, np.bool_)):
            raise TypeError(f"random_state={random_state!r} must be None, an int or a RandomState")
        return np.random.RandomState(random_state)
    if isinstance(random_state, np.random.RandomState):
        return random_state
    if isinstance(random_state, np.random.Generator):
        return np.random.RandomState(copy.deepcopy(random_state.bit_generator))
    raise TypeError(
        f"random_state={_describe(random_state)} must be None, an int, a "
        "numpy.random.RandomState or a numpy.random.Generator"
    )


def _first_nonfinite(X) -> str:
    if sp.issparse(X):
        coo = X.tocoo()
        bad = np.flatnonzero(~np.isfinite(coo.data))[0]
        return f"row {coo.row[bad]}, column {coo.col[bad]}"
    bad = np.argwhere(~np.isfinite(X))[0]
    return ", ".join(f"{axis} {i}" for axis, i in zip(("row", "column", "axis 2", "axis 3"), bad))


def check_matrix(
    X,
    name: str = "X",
    *,
    accept_sparse: bool = True,
    dtype="float",
    ndim: int = 2,
    allow_empty: bool = False,
    copy: bool = False,
):
    """Validate a numeric matrix and return it as float32/float64.

    Parameters
    ----------
    X : {array-like, sparse matrix}
        The input.
    name : str
        Argument name used in error messages.
    accept_sparse : bool
        Whether scipy sparse matrices/arrays are allowed (returned as CSR or
        CSC, whichever they were, other formats become CSR).
    dtype : {"float", "numeric"}
        ``"float"`` converts to float32 (float32, float16, 8/16-bit integers)
        or float64 (everything else); ``"numeric"`` keeps the dtype.
    ndim : int
        Required number of dimensions of a dense input.
    allow_empty : bool
        Whether an axis of length 0 is allowed.
    copy : bool
        Force a copy.
    """
    if sp.issparse(X):
        if not accept_sparse:
            raise TypeError(
                f"{name} is a sparse matrix, but a dense array is required; "
                f"call {name}.toarray() first"
            )
        if ndim != 2:
            raise ValueError(f"{name} must be a {ndim}-D array; got a sparse matrix")
        if X.format not in ("csr", "csc"):
            X = X.tocsr()
        if X.dtype.kind not in "biuf":
            raise TypeError(
                f"{name} has dtype {X.dtype}; expected a numeric (bool, integer or float) matrix"
            )
        if dtype == "float":
            target = float_dtype_for(X.dtype)
            if X.dtype != target:
                X = X.astype(target)
            elif copy:
                X = X.copy()
        if not allow_empty and (X.shape[0] == 0 or X.shape[1] == 0):
            raise ValueError(f"{name} is empty (shape {X.shape}); at least one row and one column are required")
        if not np.isfinite(X.data).all():
            raise ValueError(
                f"{name} contains NaN or infinity (first at {_first_nonfinite(X)}); "
                "remove or impute them"
            )
        return X

    if isinstance(X, (str, bytes)):
        raise TypeError(f"{name} must be a numeric array; got a string")
    try:
        arr = np.asarray(X)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{name} could not be read as a {ndim}-D array: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} has dtype {arr.dtype}; expected a numeric (bool, integer or float) array"
        )
    if arr.ndim != ndim:
        raise ValueError(
            f"{name} must be a {ndim}-D array; got an array of shape {arr.shape}"
            + (f" (use {name}.reshape(-1, 1) for a single feature or "
               f"{name}.reshape(1, -1) for a single sample)" if arr.ndim == 1 and ndim == 2 else "")
        )
    if not allow_empty and 0 in arr.shape:
        raise ValueError(f"{name} is empty (shape {arr.shape}); every axis must be non-empty")
    if dtype == "float":
        target = float_dtype_for(arr.dtype)
        arr = np.array(arr, dtype=target, copy=copy or arr.dtype != target, order="C")
    elif copy:
        arr = arr.copy()
    # a sum is finite only if every term is: one cheap reduction, then the
    # slow elementwise check only to locate the culprit (or after overflow)
    if arr.dtype.kind == "f" and not np.isfinite(np.add.reduce(arr, axis=None)) and not np.isfinite(arr).all():
        raise ValueError(
            f"{name} contains NaN or infinity (first at {_first_nonfinite(arr)}); remove or impute them"
        )
    return arr


def check_str_list(values, name: str, *, what: str = "text", allow_empty: bool = False) -> list:
    """A list of str from a sequence (or 1-D array) of str; TypeError/ValueError naming ``name``.

    ``what`` names one item in the messages ("every word must be a str").
    """
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be a list of str, not a single {type(values).__name__}; wrap it in a list")
    if sp.issparse(values):
        raise TypeError(f"{name} must be a list of str; got a sparse matrix")
    try:
        items = values.tolist() if isinstance(values, np.ndarray) else list(values)
    except TypeError:
        raise TypeError(f"{name} must be a list of str; got {type(values).__name__}") from None
    if not items and not allow_empty:
        raise ValueError(f"{name} is empty; at least one {what} is required")
    for i, value in enumerate(items):
        if not isinstance(value, str):
            raise TypeError(f"{name}[{i}] is a {type(value).__name__} ({value!r:.40}); every {what} must be a str")
    return items



_SKLEARN_ARRAY = re.compile(r"\s*array=\[.*?\]\.?", re.S)


def validate_data(_estimator, /, X="no_validation", y="no_validation", **kwargs):
    """scikit-learn's ``validate_data`` with its errors on one line.

    scikit-learn's messages can print a whole array ("Expected 2D array, got
    1D array instead: array=[...]") or omit the position of a NaN ("Input X
    contains NaN."). The ValueError raised here names the argument and, for
    non-finite values, the first bad position, on one line.
    """
    from sklearn.utils.validation import validate_data as _validate_data

    try:
        return _validate_data(_estimator, X, y, **kwargs)
    except ValueError as exc:
        raise ValueError(_one_line(str(exc), X, y)) from None


def _one_line(message, X, y):
    name, value = ("y", y) if re.search(r"\bInput y\b|\by contains\b", message) else ("X", X)
    if "NaN" in message or "infinity" in message or "too large" in message:
        try:
            arr = value if sp.issparse(value) else np.asarray(value, dtype=np.float64)
            where = _first_nonfinite(arr)
        except (TypeError, ValueError, IndexError):
            where = None
        if where is not None:
            return f"{name} contains NaN or infinity (first at {where}); remove or impute them"
    match = re.match(r"Expected 2D array, got (1D|scalar) array instead", message)
    if match:
        shape = np.shape(value)
        return (f"{name} must be a 2-D array of shape (n_samples, n_features); got a {match.group(1)} array of "
                f"shape {shape}. Reshape your data: {name}.reshape(-1, 1) for one feature or "
                f"{name}.reshape(1, -1) for one sample")
    line = " ".join(_SKLEARN_ARRAY.sub("", message).split())
    return line if len(line) <= 300 else line[:297] + "..."
