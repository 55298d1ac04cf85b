"""The three engines give bit-identical tables (Dask on a LocalCluster of 2 worker
processes, bound to 127.0.0.1); Dask is optional and never imported by ``import unspoken``."""

from __future__ import annotations

import builtins
import subprocess
import sys

import pandas as pd
import pytest

import unspoken
from unspoken.errors import UnsupportedError

GRID = {"n": [300, 600], "J": [3, 4], "direct": True, "falsification": 0.2}
ESTIMATORS = ["dim", "lm", "gap"]


@pytest.fixture(scope="module")
def local_table() -> pd.DataFrame:
    return unspoken.diagnose(GRID, ESTIMATORS, reps=150, seed=21).table


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        host="127.0.0.1",
    )  # fmt: skip
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.mark.parametrize("workers", [1, 2])
def test_processes_equal_local(local_table: pd.DataFrame, workers: int) -> None:
    res = unspoken.diagnose(
        GRID, ESTIMATORS, reps=150, seed=21, engine="processes", workers=workers
    )
    pd.testing.assert_frame_equal(res.table, local_table, check_exact=True)


def test_dask_equals_local(local_table: pd.DataFrame, dask_cluster) -> None:
    res = unspoken.diagnose(
        GRID, ESTIMATORS, reps=150, seed=21, engine="dask", address=dask_cluster.scheduler_address
    )
    pd.testing.assert_frame_equal(res.table, local_table, check_exact=True)


def test_dask_ml_and_a_resumed_run(dask_cluster, tmp_path) -> None:
    grid = {"n": [200, 400]}
    local = unspoken.diagnose(grid, ["dim", "ml"], reps=40, seed=3)
    out = tmp_path / "r.parquet"
    # a grid grown by appending designs: cell 0 keeps its seed, so its rows are reused
    unspoken.diagnose({"n": [200]}, ["dim", "ml"], reps=40, seed=3, out=out,
                      engine="processes", workers=2)  # fmt: skip
    res = unspoken.diagnose(
        grid, ["dim", "ml"], reps=40, seed=3, out=out, engine="dask",
        address=dask_cluster.scheduler_address,
    )  # fmt: skip
    assert res.resumed == 1
    pd.testing.assert_frame_equal(res.table, local.table, check_exact=True)
    fresh = unspoken.diagnose(
        grid, ["dim", "ml"], reps=40, seed=3, engine="dask", address=dask_cluster.scheduler_address
    )
    pd.testing.assert_frame_equal(fresh.table, local.table, check_exact=True)


def test_dask_missing_says_what_to_install(monkeypatch) -> None:
    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name == "dask" or name.startswith("dask."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(UnsupportedError, match=r"pip install unspoken\[dask\]"):
        unspoken.diagnose({"n": [100]}, "dim", reps=10, seed=1, engine="dask")


def test_import_unspoken_does_not_import_dask() -> None:
    code = (
        "import sys, unspoken; unspoken.diagnose; import unspoken.diagnosis.engines; "
        "print(any(m == 'dask' or m.startswith(('dask.', 'distributed')) for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_lambda_cannot_go_to_worker_processes() -> None:
    with pytest.raises(UnsupportedError, match="top level of a module"):
        unspoken.diagnose({"n": [100]}, [lambda f: (0.0, 1.0)], reps=10, seed=1,
                          engine="processes", workers=2)  # fmt: skip


def test_dask_without_an_address_starts_a_local_cluster(local_table: pd.DataFrame) -> None:
    pytest.importorskip("dask.distributed")
    res = unspoken.diagnose(GRID, ESTIMATORS, reps=150, seed=21, engine="dask", workers=1)
    pd.testing.assert_frame_equal(res.table, local_table, check_exact=True)
