"""Jobs of the web page run in a child process with a time limit and a memory cap."""

from __future__ import annotations

import operator
import pathlib
import threading
import time

import pytest

from unspoken.errors import DataError
from unspoken.web.jobs import JobError, JobRunner


@pytest.fixture(scope="module")
def runner() -> JobRunner:
    # Start the fork server (it imports pandas, scipy, matplotlib and the estimators once)
    # under a generous limit first, so that the 3-second limit below times jobs, not that
    # start-up, which takes several seconds on a loaded 2-core machine.
    assert JobRunner(timeout=120, memory_mb=4096, workers=1).call(operator.add, 0, 0) == 0
    return JobRunner(timeout=3, memory_mb=1024, workers=2)


def test_value_comes_back_from_another_process(runner: JobRunner) -> None:
    import os

    assert runner.call(operator.add, 2, 3) == 5
    assert runner.call(os.getpid) != os.getpid()


def test_time_limit_stops_the_child(runner: JobRunner) -> None:
    t0 = time.monotonic()
    with pytest.raises(JobError, match="longer than 3 seconds"):
        runner.call(time.sleep, 30)
    assert time.monotonic() - t0 < 6


def test_memory_cap_stops_the_child(runner: JobRunner) -> None:
    status = runner.call(pathlib.Path.read_text, pathlib.Path("/proc/self/status"))
    vm = int(next(x for x in status.splitlines() if x.startswith("VmSize")).split()[1])
    assert vm < 1024 * 1024  # kB: the child starts well under the cap it is given
    with pytest.raises(JobError, match="more memory than this page allows"):
        runner.call(bytearray, 2 * 1024**3)
    assert runner.call(operator.add, 1, 1) == 2  # and the next job runs normally


def test_exceptions_come_back_with_their_class_and_attributes(runner: JobRunner) -> None:
    with pytest.raises(ZeroDivisionError):
        runner.call(divmod, 1, 0)
    err = DataError("bad value", column="age", rows=[3, 7])
    with pytest.raises(DataError) as e:
        runner.call(_raise, err)
    assert e.value.column == "age" and e.value.rows == [3, 7]
    assert str(e.value) == str(err)


def _raise(e: BaseException) -> None:
    raise e


def test_other_jobs_run_while_one_is_slow(runner: JobRunner) -> None:
    # a runner whose slow job lasts 20 s: a second job that waited for it would take 20 s;
    # one that runs beside it takes well under 10 s even on a loaded 2-core machine (the
    # 3-second runner left 1 s of margin, too little under a full parallel test run)
    patient = JobRunner(timeout=20, memory_mb=1024, workers=2)

    def slow_job() -> None:
        with pytest.raises(JobError):
            patient.call(time.sleep, 60)

    slow = threading.Thread(target=slow_job)
    slow.start()
    time.sleep(0.5)  # the slow job has started
    t0 = time.monotonic()
    assert patient.call(operator.mul, 6, 7) == 42
    assert time.monotonic() - t0 < 10
    slow.join()


def test_a_long_temporary_directory_falls_back_to_spawn(tmp_path) -> None:
    """The fork server listens on a Unix socket in TMPDIR, whose path may not exceed ~107
    bytes; with a longer TMPDIR jobs still run (in freshly started processes)."""
    import os
    import subprocess
    import sys

    long = tmp_path / ("t" * 60) / ("m" * 60)
    long.mkdir(parents=True)
    code = (
        "import operator\n"
        "from unspoken.web.jobs import JobRunner\n"
        "r = JobRunner(timeout=60)\n"
        "print(r.call(operator.add, 2, 3), r.call(operator.mul, 2, 3))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "TMPDIR": str(long)},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["5", "6"]
    assert "fork server could not start" in out.stderr and "Traceback" not in out.stderr
