"""Self-contained HTML reports of unspoken results (for readers who do not program).

``write_report(results, path, title=None, data_note=None)`` writes one HTML file with each
result's headline in plain words, its tables, inline SVG plots, notes and how it was
computed. The presentation model (:mod:`unspoken.report.view`) is shared with the CLI.
"""

from unspoken.report.html import render_report, write_report

__all__ = ["render_report", "write_report"]
