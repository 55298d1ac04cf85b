"""Benchmark: memory and time of uploading large CSV files to ``unspoken serve``.

Starts the real server (``python -m unspoken.cli.main serve``) on a free loopback port,
uploads CSV files of about 10, 50 and 100 MB through a streamed multipart POST (as a browser
sends it), and prints for each: the upload-and-read wall time, the server process's peak
resident memory above its idle level, and the peak resident memory of
the child process that parsed the file (both sampled every 10 ms from /proc). The issue's goal
is at most 3x the file size above the idle server.

Run: ``.venv/bin/python benchmarks/web_upload.py [sizes in MB ...]`` (Linux: reads /proc).
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np


def _status(pid: int, key: str) -> int:
    """A ``/proc/PID/status`` memory line in bytes (0 if the process is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    m = re.search(rf"^{key}:\s+(\d+) kB", text, re.M)
    return int(m.group(1)) * 1024 if m else 0


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        out += [int(k) for k in kids]
        todo += [int(k) for k in kids]
    return out


class Peaks(threading.Thread):
    """Samples, every 10 ms until stopped, the RSS of process ``pid`` (``server``) and the
    largest RSS of any of its descendants except ``skip`` (the fork server) (``peak``)."""

    def __init__(self, pid: int, skip: set[int]) -> None:
        super().__init__(daemon=True)
        self.pid, self.skip, self.peak, self.server, self.running = pid, skip, 0, 0, True

    def run(self) -> None:
        while self.running:
            self.server = max(self.server, _status(self.pid, "VmRSS"))
            for d in _descendants(self.pid):
                if d not in self.skip:
                    self.peak = max(self.peak, _status(d, "VmRSS"))
            time.sleep(0.01)


def make_csv(path: Path, mb: float, seed: int = 1) -> None:
    """A list-experiment-like CSV of about ``mb`` MB: counts, arm, covariates, region."""
    rng = np.random.default_rng(seed)
    rows = int(mb * 2**20 / 21.5)  # about 21.5 bytes a row
    with open(path, "w") as fh:
        fh.write("y,treat,age,male,income,region\n")
        step = 200_000
        for start in range(0, rows, step):
            k = min(step, rows - start)
            block = np.column_stack(
                [
                    rng.integers(0, 5, k),
                    rng.integers(0, 2, k),
                    rng.integers(18, 90, k),
                    rng.integers(0, 2, k),
                    rng.normal(30000, 9000, k).round(2),
                    rng.integers(1, 86, k),
                ]
            )
            np.savetxt(fh, block, fmt=["%d", "%d", "%d", "%d", "%.2f", "%d"], delimiter=",")


def upload(port: int, token: str, path: Path) -> int:
    """POST ``path`` as multipart/form-data in 1 MB pieces; returns the HTTP status."""
    b = "benchBoundary7d2f"
    head = (
        f'--{b}\r\nContent-Disposition: form-data; name="token"\r\n\r\n{token}\r\n'
        f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    tail = f"\r\n--{b}--\r\n".encode()
    size = len(head) + path.stat().st_size + len(tail)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.putrequest("POST", "/upload")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={b}")
    conn.putheader("Content-Length", str(size))
    conn.putheader("Origin", f"http://127.0.0.1:{port}")
    conn.endheaders()
    conn.send(head)
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            conn.send(chunk)
    conn.send(tail)
    status = conn.getresponse().status
    conn.close()
    return status


def main(sizes: list[float]) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "unspoken.cli.main", "serve", "--port", "0", "--no-browser",
         "--max-upload-mb", "1000"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = re.search(r"http://\S+/", server.stdout.readline()).group(0)
        port = int(url.rsplit(":", 1)[1].strip("/"))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", "/")
        token = re.search(r'name="token" value="([^"]+)"', conn.getresponse().read().decode())
        conn.close()
        # warm up: the first job starts the fork server
        with tempfile.TemporaryDirectory() as tmp:
            small = Path(tmp) / "warm.csv"
            make_csv(small, 0.1)
            upload(port, token.group(1), small)
            forkserver = set(_descendants(server.pid))
            idle = _status(server.pid, "VmRSS")
            cores = os.cpu_count()
            print(f"idle server RSS: {idle / 2**20:.0f} MiB (pid {server.pid}, {cores} cores)")
            print(f"{'file':>9} {'upload+read':>12} {'server peak above idle':>23} "
                  f"{'x file':>7} {'reader child peak':>18} {'x file':>7}")  # fmt: skip
            for mb in sizes:
                path = Path(tmp) / f"survey_{mb:g}mb.csv"
                make_csv(path, mb)
                size = path.stat().st_size
                watch = Peaks(server.pid, forkserver)
                watch.start()
                t0 = time.perf_counter()
                status = upload(port, token.group(1), path)
                elapsed = time.perf_counter() - t0
                watch.running = False
                watch.join()
                above = max(watch.server, _status(server.pid, "VmRSS")) - idle
                print(
                    f"{size / 2**20:>7.1f}MB {elapsed:>11.2f}s {above / 2**20:>20.1f} MiB "
                    f"{above / size:>7.2f} {watch.peak / 2**20:>15.1f} MiB "
                    f"{watch.peak / size:>7.2f}"
                    + ("" if status in (200, 303) else f"  HTTP {status}")
                )
                path.unlink()
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main([float(a) for a in sys.argv[1:]] or [10, 50, 100])
