"""Pieces every CLI command shares: loading DATA, printing JSON or tables."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
import pandas as pd

from unspoken.results import _clean


def load_frame(data: str, encoding: str | None = None) -> pd.DataFrame:
    """DATA is a file path or the name of a bundled data set."""
    from unspoken import datasets
    from unspoken.io import read_data

    if data in datasets.names():
        return datasets.load(data)
    return read_data(data, encoding=encoding)


def emit_json(obj: Any) -> None:
    """Print one JSON object on stdout and nothing else."""
    payload = obj.to_dict() if hasattr(obj, "to_dict") else obj
    click.echo(json.dumps(_clean(payload), indent=2))


def print_text(text: str) -> None:
    sys.stdout.write(text.rstrip() + "\n")


data_argument = click.argument("data", metavar="DATA")
encoding_option = click.option(
    "--encoding", default=None, help="Text encoding of a CSV/SPSS/Stata file (e.g. cp1251)."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
