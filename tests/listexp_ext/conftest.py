"""Helpers shared by the list-variant tests."""

import numpy as np
import pytest


def _second_differences(f, theta, h=1e-4):
    """Hessian of the scalar function ``f`` at ``theta`` by central second differences of
    ``f`` itself (independent of any analytic gradient or Hessian)."""
    E = np.eye(len(theta)) * h
    return np.array(
        [
            [
                (f(theta + a + b) - f(theta + a - b) - f(theta - a + b) + f(theta - a - b))
                / (4 * h * h)
                for b in E
            ]
            for a in E
        ]
    )


@pytest.fixture
def second_differences():
    return _second_differences
