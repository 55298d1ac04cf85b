"""Stopping the program forgets the uploaded data: after an upload through the page, the
server's private directory (which holds the upload) is gone once the program has stopped,
whether stopped with Ctrl-C as the page says, or by closing its terminal window (SIGHUP) or
by the system (SIGTERM)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_server import Server, start_server, stop_server
from browser_ui import upload

from unspoken import datasets


@pytest.fixture
def temp_dir(tmp_path: Path) -> Path:
    d = tmp_path / "tmp"
    d.mkdir()
    return d


@pytest.fixture
def server(tmp_path: Path, temp_dir: Path) -> Iterator[Server]:
    """A fresh server per test whose temporary files go to ``temp_dir`` (overrides
    conftest's)."""
    s = start_server(tmp_path, temp_dir=temp_dir)
    try:
        yield s
    finally:
        stop_server(s.proc)


@pytest.mark.parametrize(
    "how",
    [
        pytest.param(signal.SIGINT, id="ctrl-c"),
        pytest.param(signal.SIGHUP, id="terminal-closed"),
        pytest.param(signal.SIGTERM, id="terminated"),
    ],
)
def test_stopping_forgets_uploads(
    how: signal.Signals, page: Any, server: Server, temp_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "race.csv"
    datasets.load("race").to_csv(path, index=False)
    assert upload(page, server.url, path).status == 200
    private = list(temp_dir.glob("unspoken-web-*"))
    assert len(private) == 1 and any(private[0].iterdir()), "the upload is not where expected"
    server.proc.send_signal(how)
    server.proc.wait(timeout=30)
    assert not private[0].exists(), sorted(p.name for p in private[0].iterdir())
