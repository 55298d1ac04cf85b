"""A local web page for people who do not program (``unspoken serve``).

Standard library server bound to 127.0.0.1: choose a bundled data set or upload a file (kept
in a private temporary folder deleted when the server stops), pick an analysis from forms
built from the data's columns, and read the same self-contained HTML report that ``--html``
writes. Uploads are read and analyses run in child processes with a time limit and a memory
cap (``jobs``). See ``docs/web.md``.

This package only re-exports the server's entry points. Its modules import one another
directly (``unspoken.web.server`` -> ``state``, ``jobs``, ``pages`` -> ``analyses`` ->
``forms``), never through the package, which imports the server.
"""

from unspoken.web.server import make_server, url_of

__all__ = ["make_server", "url_of"]
