"""``unspoken datasets``: list the bundled data sets or show one."""

from __future__ import annotations

import click

from unspoken.cli.common import finish, report_options


@click.command("datasets")
@click.argument("name", required=False)
@report_options
def command(name: str | None, as_json: bool, html_file: str | None) -> None:
    """List the bundled example data sets, or describe NAME and show its first rows."""
    from unspoken import datasets
    from unspoken.report.view import Table, View

    if name is None:
        rows = [
            {"name": d.name, "title": d.title, "design": d.design, "citation": d.citation}
            for d in datasets.CATALOG.values()
        ]
        payload = {"datasets": rows}
        view = View(
            title="Bundled data sets",
            headline=["Use a name as DATA in any command, e.g. unspoken list race ..."],
            tables=[
                Table(
                    "Name, title and design of each",
                    ["name", "title", "design"],
                    [[r["name"], r["title"], r["design"]] for r in rows],
                    ["l", "l", "l"],
                )
            ],
        )
    else:
        d = datasets.info(name)
        df = datasets.load(name)
        payload = {
            "name": d.name,
            "title": d.title,
            "design": d.design,
            "citation": d.citation,
            "n_rows": len(df),
            "columns": list(df.columns),
        }
        head = df.head(8)
        view = View(
            title=f"{d.name}: {d.title}",
            headline=[f"{len(df)} rows, columns: {', '.join(map(str, df.columns))}"],
            facts=[f"Design: {d.design}", f"Cite: {d.citation}"],
            tables=[
                Table(
                    "First rows",
                    [str(c) for c in head.columns],
                    [[str(v) for v in row] for row in head.itertuples(index=False)],
                    ["l"] * len(head.columns),
                )
            ],
        )
    finish(view, as_json, html_file, json_payload=payload)
