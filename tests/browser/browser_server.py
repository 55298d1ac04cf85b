"""For the browser tests: ``unspoken serve`` as a subprocess (started on a free port, its
address read from the first line it prints, stopped with Ctrl-C as a person would), and the
recorder of the requests a browser makes."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

SERVER_START_S = 90.0
# URL schemes that carry no host (the page itself, frames without a network source)
_HOSTLESS = {"data", "about", "blob"}


@dataclass
class Server:
    """A running ``unspoken serve`` subprocess."""

    url: str  # http://127.0.0.1:PORT/
    proc: subprocess.Popen
    stderr_path: Path
    _read: int = 0

    @property
    def netloc(self) -> str:
        return urlsplit(self.url).netloc

    def stderr_since_last(self) -> str:
        """What the server wrote to its stderr since the previous call."""
        text = self.stderr_path.read_text(errors="replace")
        new, self._read = text[self._read :], len(text)
        return new

    def child_pids(self) -> list[int]:
        """Processes whose parent is the server (the job forkserver exists once a job ran)."""
        out = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue
            # pid (comm) state ppid ...; comm may contain spaces and parentheses
            ppid = int(text.rsplit(")", 1)[1].split()[1])
            if ppid == self.proc.pid:
                out.append(int(stat.parent.name))
        return out


def _first_line(proc: subprocess.Popen, timeout: float) -> str:
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return got[0] if got else ""


def start_server(tmp: Path, *extra: str, temp_dir: Path | None = None) -> Server:
    """``unspoken serve --port 0 --no-browser EXTRA`` (its stderr in ``tmp``); ``temp_dir``
    becomes its TMPDIR, where it makes its private directory for uploads."""
    stderr_path = tmp / "server-stderr.txt"
    env = {**os.environ, "TMPDIR": str(temp_dir)} if temp_dir is not None else None
    with open(stderr_path, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "unspoken.cli.main", "serve", "--port", "0", "--no-browser",
             *extra],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=env,
            start_new_session=True,  # its own process group: stopped with everything it forks
        )  # fmt: skip
    line = _first_line(proc, SERVER_START_S)
    m = re.search(r"http://127\.0\.0\.1:\d+/", line)
    if m is None:
        stop_server(proc)
        pytest.fail(
            f"unspoken serve did not print its address (first line {line!r}); stderr:\n"
            + stderr_path.read_text(errors="replace")
        )
    return Server(m.group(0), proc, stderr_path)


def stop_server(proc: subprocess.Popen) -> None:
    """Ctrl-C (the server cleans up its private directory), then kill its process group."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # the group we created: the job forkserver, if left
    if proc.stdout is not None:
        proc.stdout.close()


@dataclass
class Recorder:
    """Every request a browser context made, and the hosts it may talk to."""

    allowed: set[str]
    urls: list[str] = field(default_factory=list)

    def outside(self) -> list[str]:
        bad = []
        for url in self.urls:
            parts = urlsplit(url)
            if parts.scheme in _HOSTLESS:
                continue
            if (
                parts.scheme not in ("http", "https", "ws", "wss")
                or parts.netloc not in self.allowed
            ):
                bad.append(url)
        return bad
