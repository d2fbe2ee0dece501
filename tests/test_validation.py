"""The shared validators of veob._validation."""

import numpy as np
import pytest

from veob import svd
from veob._validation import InvalidParameterError, check_random_state, check_real


@pytest.mark.parametrize("kwargs, value, expected", [
    ({}, 3, 3.0),
    ({"low": 0}, 0, 0.0),
    ({"low": 0, "high": 1, "high_inclusive": False}, 0.5, 0.5),
    ({"low": 0, "allow": ("auto",)}, "auto", "auto"),
    ({}, np.float32(2.5), 2.5),
])
def test_check_real_accepts(kwargs, value, expected):
    out = check_real(value, "x", **kwargs)
    assert out == expected and type(out) is type(expected)


@pytest.mark.parametrize("kwargs, value, error, match", [
    ({"low": 0}, -1.0, ValueError, r"^x=-1.0 must be a finite number >= 0$"),
    ({"low": 0, "low_inclusive": False}, 0, ValueError, r"^x=0 must be a finite number > 0$"),
    ({"high": 1, "high_inclusive": False}, 1.0, ValueError, r"^x=1.0 must be a finite number < 1$"),
    ({"low": 0, "high": 1, "high_inclusive": False}, 1.0, ValueError, r"^x=1.0 must be a finite number in \[0, 1\)$"),
    ({"low": 0, "high": 1, "low_inclusive": False}, 0.0, ValueError, r"^x=0.0 must be a finite number in \(0, 1\]$"),
    ({"low": 0, "allow": ("auto",)}, "big", InvalidParameterError, r"^x='big' must be 'auto' or a finite number >= 0$"),
    ({"low": 0}, float("nan"), InvalidParameterError, r"^x=nan must be a finite number >= 0$"),
    ({}, float("inf"), InvalidParameterError, r"^x=inf must be a finite number$"),
    ({}, True, InvalidParameterError, r"^x=True must be a finite number$"),
    ({}, None, InvalidParameterError, r"^x=None must be a finite number$"),
])
def test_check_real_rejects_with_argument_value_and_range(kwargs, value, error, match):
    with pytest.raises(error, match=match):
        check_real(value, "x", **kwargs)


def test_invalid_parameter_error_is_both_value_and_type_error():
    for cls in (ValueError, TypeError):
        with pytest.raises(cls):
            check_real("a", "x")


def test_check_random_state_leaves_a_generator_untouched():
    rng = np.random.default_rng(7)
    state = rng.bit_generator.state
    a = check_random_state(rng)
    first = a.standard_normal(5)
    a.randint(0, 10, size=100)
    assert rng.bit_generator.state == state  # the caller's Generator did not move
    np.testing.assert_array_equal(check_random_state(rng).standard_normal(5), first)  # same Generator, same draws
    # through a randomized solver: same Generator, same result, Generator unchanged
    X = np.random.default_rng(0).standard_normal((60, 30))
    U1 = svd(X, 3, solver="randomized", n_iter=0, random_state=rng)[0]
    U2 = svd(X, 3, solver="randomized", n_iter=0, random_state=rng)[0]
    np.testing.assert_array_equal(U1, U2)
    assert rng.bit_generator.state == state
    # a RandomState is shared and advanced, as in scikit-learn
    rs = np.random.RandomState(0)
    assert check_random_state(rs) is rs
    with pytest.raises(TypeError, match="random_state=True must be None, an int"):
        check_random_state(True)


def test_one_n_jobs_rule_as_scikit_learn():
    import joblib
    import numba

    from veob._threads import effective_n_jobs, thread_limits
    from veob._validation import check_n_jobs

    n_cpus = effective_n_jobs(None, numba_threads=False)
    assert effective_n_jobs(-1, numba_threads=False) == n_cpus and effective_n_jobs(2, numba_threads=False) == 2
    assert effective_n_jobs(-2, numba_threads=False) == max(1, n_cpus - 1)
    assert effective_n_jobs(None) == numba.get_num_threads()  # outside a joblib context: the current default
    with joblib.parallel_config(n_jobs=1):  # inside one: its n_jobs, as scikit-learn
        assert effective_n_jobs(None) == 1 and effective_n_jobs(None, numba_threads=False) == 1
        before = numba.get_num_threads()
        with thread_limits(None):
            assert numba.get_num_threads() == 1
        assert numba.get_num_threads() == before
    assert check_n_jobs(None) is None and check_n_jobs(np.int64(-1)) == -1
    with pytest.raises(ValueError, match="n_jobs=0 is not allowed"):
        check_n_jobs(0)
    for bad in (1.5, True, "2"):
        with pytest.raises(TypeError, match="must be None or an integer"):
            check_n_jobs(bad)
