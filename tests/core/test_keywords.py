"""unspoken.keywords: flat keyword arguments built once into options objects, and old
argument names accepted for one release."""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass

import pytest

from unspoken.errors import UnsupportedError
from unspoken.keywords import old_names, spread_options


@dataclass(frozen=True)
class _Sample:
    J: int
    n: int = 10
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.n < 1:
            raise UnsupportedError("n must be positive")


@old_names(size="n")
@spread_options(sample=_Sample)
def _f(J: int, x: float = 1.0, *, sample: _Sample) -> tuple[int, float, _Sample]:
    return J, x, sample


def test_the_signature_is_made_from_the_fields() -> None:
    params = inspect.signature(_f).parameters
    assert list(params) == ["J", "x", "n", "seed"]
    assert params["n"].kind == inspect.Parameter.KEYWORD_ONLY and params["n"].default == 10
    assert "sample" not in params and "size" not in params


def test_a_call_builds_the_object_once_and_shares_own_fields() -> None:
    J, x, s = _f(3, n=5)
    assert (J, x) == (3, 1.0) and s == _Sample(J=3, n=5)
    assert _f(3, sample=_Sample(J=3, n=7))[2].n == 7  # a built object is passed through
    with pytest.raises(UnsupportedError, match="positive"):
        _f(3, n=0)
    with pytest.raises(TypeError):
        _f(3, m=1)  # an unknown argument is still an error


def test_old_names_warn_and_agree() -> None:
    with pytest.warns(DeprecationWarning, match="size= is now called n="):
        assert _f(3, size=4)[2].n == 4
    with pytest.warns(DeprecationWarning), pytest.raises(UnsupportedError, match="give n= only"):
        _f(3, size=4, n=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _f(3, n=4)
