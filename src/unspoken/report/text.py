"""A :class:`~unspoken.report.view.View` as plain text: what every result's ``summary()``
returns. The command line prints the same view with rich tables, the HTML report and
notebooks as HTML (:mod:`unspoken.report.html`)."""

from __future__ import annotations

from collections.abc import Sequence

from unspoken.report.view import Table, View

__all__ = ["render_text", "table_text"]


def table_text(t: Table) -> str:
    """A table as aligned plain-text columns under its title."""
    rows = [list(t.columns), *([*r, *[""] * (len(t.columns) - len(r))] for r in t.rows)]
    widths = [max(len(r[k]) for r in rows) for k in range(len(t.columns))]

    def line(r: list[str]) -> str:
        cells = (
            c.rjust(w) if a == "r" else c.ljust(w)
            for c, w, a in zip(r, widths, t.align, strict=False)
        )
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([f"{t.title}:", line(rows[0]), rule, *(line(r) for r in rows[1:])])


def render_text(view: View | Sequence[View]) -> str:
    """The plain text of one view (or of several, one after another): title, headline,
    warnings, facts, tables, notes (a note repeating a warning is shown once) and how the
    result was computed."""
    if not isinstance(view, View):
        return "\n\n".join(render_text(v) for v in view)
    blocks = [f"{view.title}\n{'=' * len(view.title)}"]
    if view.headline:
        blocks.append("\n".join(view.headline))
    top = [f"Warning: {w}" for w in view.warnings] + list(view.facts)
    if top:
        blocks.append("\n".join(top))
    blocks += [table_text(t) for t in view.tables]
    if view.other_notes:
        blocks.append("\n".join(f"Note: {n}" for n in view.other_notes))
    if view.method:
        blocks.append(
            "How this was computed: " + "; ".join(f"{k}: {v}" for k, v in view.method.items())
        )
    return "\n\n".join(blocks)
