"""One self-contained HTML file for one or more results: headline in plain words, tables,
inline SVG plots, notes, and how it was computed. No external assets, no JavaScript."""

from __future__ import annotations

import datetime as _dt
import html
import io
import re
from collections.abc import Sequence
from pathlib import Path
from string import Template
from typing import Any

from unspoken.errors import DataError
from unspoken.report.view import Table, View, describe_all

__all__ = ["render_report", "views_html", "write_report"]

_CSS = """
body{margin:0;background:#f6f6f3;color:#1d1d1b;font:16px/1.5 Georgia,'Times New Roman',serif}
main{max-width:60rem;margin:0 auto;padding:1.5rem 1.5rem 3rem;background:#fff}
h1{font-size:1.9rem;line-height:1.2;margin:.5rem 0 .25rem}
h2{font-size:1.35rem;margin:2.2rem 0 .5rem;padding-top:1rem;border-top:3px solid #1d1d1b}
h3{font:600 .95rem/1.3 system-ui,-apple-system,'Segoe UI',Arial,sans-serif;margin:1.2rem 0 .3rem}
.data-note{color:#444;font-style:italic;margin:.25rem 0 1rem}
.headline{font-size:1.3rem;line-height:1.4;margin:.6rem 0;font-weight:600}
.facts,.notes,.warnings{font:.9rem/1.45 system-ui,-apple-system,'Segoe UI',Arial,sans-serif;
 color:#333;padding-left:1.1rem}
.warnings{background:#fff4e5;border-left:4px solid #d9822b;padding:.5rem .8rem .5rem 1.8rem}
.notes{color:#555}
table{border-collapse:collapse;margin:.3rem 0 1rem;
 font:.88rem/1.35 system-ui,-apple-system,'Segoe UI',Arial,sans-serif}
caption{text-align:left;font-weight:600;padding:.2rem 0 .4rem}
th,td{padding:.25rem .7rem;border-bottom:1px solid #ddd;vertical-align:top}
th{border-bottom:2px solid #1d1d1b;text-align:left}
td.r,th.r{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr:nth-child(even) td{background:#fafaf7}
.scroll{overflow-x:auto;max-width:100%}
figure{margin:1rem 0}
figure svg{max-width:100%;height:auto}
details{margin:.6rem 0;font:.9rem system-ui,-apple-system,'Segoe UI',Arial,sans-serif}
summary{cursor:pointer;color:#333}
.how{font:.8rem/1.4 system-ui,-apple-system,'Segoe UI',Arial,sans-serif;color:#555;
 border-top:1px solid #ddd;padding-top:.4rem;margin-top:1rem}
footer{margin-top:2.5rem;font:.8rem system-ui,-apple-system,'Segoe UI',Arial,sans-serif;color:#666}
@media (max-width:32rem){main{padding:1rem .75rem 2rem}h1{font-size:1.5rem}}
@media print{details{display:block}body{background:#fff}}
"""

_PAGE = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="unspoken $version">
<title>$title</title>
<style>$css</style>
</head>
<body>
<main>
<header>
<h1>$title</h1>
$data_note
</header>
$sections
<footer>Made with unspoken $version on $date. Computed on this computer; no data were sent
anywhere. This file needs no internet connection.</footer>
</main>
</body>
</html>
"""
)

_e = html.escape


def _table_html(t: Table) -> str:
    head = "".join(
        f'<th class="{a}" scope="col">{_e(c)}</th>' for c, a in zip(t.columns, t.align, strict=True)
    )
    body = "\n".join(
        "<tr>"
        + "".join(f'<td class="{a}">{_e(c)}</td>' for c, a in zip(r, t.align, strict=False))
        + "</tr>"
        for r in t.rows
    )
    table = (  # in a box that scrolls sideways when the table is wider than the screen
        f'<div class="scroll"><table>\n<caption>{_e(t.title)}</caption>\n'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table></div>"
    )
    if t.technical:
        return f"<details><summary>{_e(t.title)} (technical)</summary>\n{table}\n</details>"
    return table


def _svg(fig: Any, key: str) -> str:
    """The figure as inline SVG: text kept as text, no metadata, ids made unique per figure."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": key}):
        fig.savefig(buf, format="svg", bbox_inches="tight")
    _close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    # inline SVG in HTML needs no namespace declarations (they are the only URLs left)
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)
    text = text.replace('id="', f'id="{key}-')
    text = text.replace('href="#', f'href="#{key}-').replace("url(#", f"url(#{key}-")
    return text


def _close(fig: Any) -> None:
    import sys

    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close(fig)


def _list(items: list[str], cls: str) -> str:
    if not items:
        return ""
    lis = "".join(f"<li>{_e(x)}</li>" for x in items)
    return f'<ul class="{cls}">{lis}</ul>'


def _section(v: View, k: int | str, version: str, date: str, heading: bool = True) -> str:
    parts = [f"<section>\n<h2>{_e(v.title)}</h2>" if heading else "<section>"]
    parts += [f'<p class="headline">{_e(h)}</p>' for h in v.headline]
    if v.warnings:
        parts.append("<h3>Warnings</h3>" + _list(v.warnings, "warnings"))
    parts.append(_list([f.replace("   ", " · ") for f in v.facts], "facts"))
    if v.plot is not None:
        parts.append(
            f'<figure role="img" aria-label="{_e(v.title)}">{_svg(v.plot(), f"f{k}")}</figure>'
        )
    parts += [_table_html(t) for t in v.tables]
    if v.other_notes:
        parts.append("<h3>Notes</h3>" + _list(v.other_notes, "notes"))
    how = {**v.method, "software": f"unspoken {version}", "date": date}
    items = " · ".join(f"{_e(a)}: {_e(b)}" for a, b in how.items())
    parts.append(f'<p class="how"><strong>How this was computed</strong> — {items}</p>')
    parts.append("</section>")
    return "\n".join(p for p in parts if p)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("unspoken")
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


def views_html(views: Sequence[View], plots: bool = True) -> str:
    """The report's sections of ``views`` without the page around them (notebooks'
    ``_repr_html_``); with ``plots=False`` no figure is drawn."""
    version = _version()
    date = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    shown = [v if plots or v.plot is None else _without_plot(v) for v in views]
    key = f"u{id(views):x}"  # svg ids unique among the outputs of one notebook
    return "\n".join(_section(v, f"{key}-{k}", version, date) for k, v in enumerate(shown))


def _without_plot(v: View) -> View:
    from dataclasses import replace

    return replace(v, plot=None)


def render_report(
    results: Any | Sequence[Any],
    title: str | None = None,
    data_note: str | None = None,
    warnings: Sequence[str] = (),
) -> str:
    """The HTML text of the report (see :func:`write_report`)."""
    views = describe_all(results)
    if warnings:
        views[0].warnings = [*views[0].warnings, *map(str, warnings)]
    version = _version()
    date = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    title = title or (views[0].title if len(views) == 1 else "unspoken report")
    sections = "\n".join(
        _section(v, k, version, date, heading=len(views) > 1 or v.title != title)
        for k, v in enumerate(views)
    )
    note = f'<p class="data-note">{_e(data_note)}</p>' if data_note else ""
    return _PAGE.substitute(
        title=_e(title), css=_CSS, data_note=note, sections=sections, version=_e(version), date=date
    )


def write_report(
    results: Any | Sequence[Any],
    path: str | Path,
    title: str | None = None,
    data_note: str | None = None,
    warnings: Sequence[str] = (),
) -> Path:
    """Write one self-contained HTML report for one or more unspoken results.

    Each result gets a section: a headline sentence in plain words, short facts, its plot
    as inline SVG (gap, polls, list fits with groups), its tables, notes and warnings, and
    how it was computed. Every user-supplied string is escaped; the file loads nothing from
    the network and needs no JavaScript. Returns the path written.
    """
    text = render_report(results, title=title, data_note=data_note, warnings=warnings)
    p = Path(path)
    try:
        p.write_text(text, encoding="utf-8")
    except OSError as e:
        raise DataError(f"cannot write the report to '{p}': {e.strerror or e}") from None
    return p
