"""``unspoken serve``: the local web page for people who do not program."""

from __future__ import annotations

import signal
from typing import Any

import click

from unspoken.cli.common import shown_option


@click.command("serve")
@shown_option("--port", click.IntRange(0, 65535), 8765, "Port to listen on (0: any free port).")
@shown_option(
    "--host",
    None,
    "127.0.0.1",
    "Address to listen on. Anything but 127.0.0.1/localhost lets others on the "
    "network reach the page and your data.",
)
@click.option("--no-browser", is_flag=True, help="Do not open the page in a web browser.")
@shown_option(
    "--max-upload-mb", click.IntRange(min=1), 200, "Largest file that can be uploaded, in MB."
)
@shown_option(
    "--timeout",
    click.FloatRange(min=1),
    120,
    "Seconds an analysis (or reading an upload) may take before it is stopped.",
)
@shown_option(
    "--max-memory-mb",
    click.IntRange(min=256),
    4096,
    "Memory one analysis may use, in MB; past it the analysis is stopped.",
)
def command(
    port: int, host: str, no_browser: bool, max_upload_mb: int, timeout: float, max_memory_mb: int
) -> None:
    """Open a local web page: choose or upload data, pick an analysis, read the report.

    Everything runs on this computer; uploaded files are kept in a private temporary folder
    and deleted when the program stops (Ctrl-C). Each analysis runs in its own process with
    a time limit and a memory cap, so the page keeps answering meanwhile.
    """
    from unspoken.web.server import is_loopback, make_server, url_of

    remote = not is_loopback(host)
    if remote:
        click.echo(
            f"Warning: listening on {host}: others on the network could reach this page and "
            "any data uploaded to it.",
            err=True,
        )
    server = make_server(
        host,
        port,
        allow_remote=remote,
        max_upload=max_upload_mb * 1024 * 1024,
        quiet=True,
        timeout=timeout,
        memory_mb=max_memory_mb,
    )
    url = url_of(server)
    click.echo(f"unspoken is running at {url}  (press Ctrl-C to stop)")
    if not no_browser:
        import webbrowser

        try:
            webbrowser.open(url)
        except Exception:  # a missing browser is not an error
            click.echo("Could not open a browser; open the address above.", err=True)
    previous = _stop_on_signals()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("\nStopped.")
    finally:
        server.server_close()  # deletes the private folder of uploads
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop_on_signals() -> dict[int, Any]:
    """Closing the terminal (SIGHUP) or ``kill`` (SIGTERM) stops the server as Ctrl-C does,
    so that its folder of uploaded data is deleted rather than left behind. Returns the
    handlers it replaced."""

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            sig = getattr(signal, name)
            previous[sig] = signal.signal(sig, stop)
    return previous
