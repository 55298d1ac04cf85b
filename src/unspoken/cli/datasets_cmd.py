"""``unspoken datasets``: list the bundled data sets or show one."""

from __future__ import annotations

import click

from unspoken.cli.common import emit_json, json_option


@click.command("datasets")
@click.argument("name", required=False)
@json_option
def command(name: str | None, as_json: bool) -> None:
    """List the bundled example data sets, or describe NAME and show its first rows."""
    from rich.console import Console
    from rich.table import Table

    from unspoken import datasets

    if name is None:
        rows = [
            {"name": d.name, "title": d.title, "design": d.design, "citation": d.citation}
            for d in datasets.CATALOG.values()
        ]
        if as_json:
            emit_json({"datasets": rows})
            return
        table = Table(title="Bundled data sets (use the name as DATA in any command)")
        for col in ("name", "title", "design"):
            table.add_column(col, overflow="fold")
        for r in rows:
            table.add_row(r["name"], r["title"], r["design"])
        Console().print(table)
        return
    d = datasets.info(name)
    df = datasets.load(name)
    if as_json:
        emit_json(
            {
                "name": d.name,
                "title": d.title,
                "design": d.design,
                "citation": d.citation,
                "n_rows": len(df),
                "columns": list(df.columns),
            }
        )
        return
    click.echo(f"{d.name}: {d.title}\nDesign: {d.design}\nCite: {d.citation}\n")
    click.echo(f"{len(df)} rows, columns: {', '.join(df.columns)}\n")
    click.echo(df.head(8).to_string())
