"""Helpers shared by the test folders: numerical derivatives that are independent of any
analytic gradient or Hessian in the package (fixtures ``second_differences`` and
``richardson_hessian``)."""

import numpy as np
import pytest


def _second_differences(f, theta, h=1e-4):
    """Hessian of the scalar function ``f`` at ``theta`` by central second differences of
    ``f`` itself (independent of any analytic gradient or Hessian). ``h`` is one step for
    every coordinate or an array of per-coordinate steps; the error is ``O(h^2)``."""
    theta = np.asarray(theta, dtype=float)
    E = np.diag(np.broadcast_to(np.asarray(h, dtype=float), theta.shape))
    P = len(theta)
    H = np.empty((P, P))
    for i in range(P):
        a = E[i]
        for j in range(i, P):
            b = E[j]
            H[i, j] = H[j, i] = (
                f(theta + a + b) - f(theta + a - b) - f(theta - a + b) + f(theta - a - b)
            ) / (4 * a[i] * b[j])
    return H


def _richardson_hessian(f, theta, steps):
    """Hessian of ``f`` at ``theta`` by Richardson extrapolation of central second
    differences at ``steps``, ``steps / 2`` and ``steps / 4``: the second difference's error
    is a series in even powers of the step, so two eliminations leave ``O(steps^6)``
    truncation error; rounding costs about ``11 * noise(f) / (s_i s_j)`` per entry (the
    weights 64/45 on the ``steps / 4`` level). Still independent of analytic derivatives."""
    steps = np.broadcast_to(np.asarray(steps, dtype=float), np.shape(theta))
    D1, D2, D4 = (_second_differences(f, theta, steps / k) for k in (1, 2, 4))
    R1, R2 = (4 * D2 - D1) / 3, (4 * D4 - D2) / 3
    return (16 * R2 - R1) / 15


@pytest.fixture
def second_differences():
    return _second_differences


@pytest.fixture
def richardson_hessian():
    return _richardson_hessian


class CliRun(tuple):
    """What a command printed: ``(code, out, err)``, also as ``returncode``/``stdout``/
    ``stderr`` like ``subprocess.run``'s result."""

    code = property(lambda self: self[0])
    returncode = code
    out = property(lambda self: self[1])
    stdout = out
    err = property(lambda self: self[2])
    stderr = err


@pytest.fixture
def cli(capsys):
    """Run ``unspoken ARGS...`` through the entry-point function in this process:
    ``cli("list", "race", "--json")`` gives a :class:`CliRun`."""
    from unspoken.cli.main import main

    def run(*args: str) -> CliRun:
        capsys.readouterr()
        code = 0
        try:
            main([str(a) for a in args])
        except SystemExit as e:
            code = int(e.code or 0)
        cap = capsys.readouterr()
        return CliRun((code, cap.out, cap.err))

    return run
