"""``unspoken diagnose GRID.toml``: simulate a grid of survey designs (see
:func:`unspoken.diagnose`).

GRID.toml holds ``estimators`` (a list of names), optionally ``reps``, ``seed``, ``level``,
``null`` and ``target``, and the designs: a table ``[designs]`` whose keys are design
parameters with a value or a list of values (every combination is a design), or an array of
tables ``[[designs]]``, one design each.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import click

from unspoken.cli.common import choice_option, finish, plot_option, report_options

_KEYS = ("designs", "estimators", "reps", "seed", "level", "null", "target")


def read_grid(path: str) -> dict[str, Any]:
    """The arguments of :func:`unspoken.diagnose` from a TOML grid file."""
    from unspoken.errors import DataError

    try:
        spec = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise DataError(f"cannot read the grid file '{path}': {e.strerror or e}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"the grid file '{path}' is not valid TOML: {e}") from None
    unknown = [k for k in spec if k not in _KEYS]
    if unknown:
        raise DataError(
            f"the grid file '{path}' has unknown key(s) {', '.join(unknown)}; it takes "
            + ", ".join(_KEYS)
        )
    if "designs" not in spec or "estimators" not in spec:
        raise DataError(f"the grid file '{path}' needs a [designs] table and estimators = [...]")
    return spec


@click.command("diagnose")
@click.argument("grid", type=click.Path(dir_okay=False))
@choice_option("--engine", ["local", "processes", "dask"], "local", "Where the simulations run.")
@click.option("--address", default=None, help="Dask scheduler address (tcp://host:8786).")
@click.option("--workers", type=int, default=None, help="Worker processes (default: CPUs).")
@click.option("--reps", type=int, default=None, help="Replications per design (overrides GRID).")
@click.option(
    "--seed",
    type=int,
    default=None,
    help="Seed of the random numbers (overrides GRID's): the same seed gives the same result "
    "on every engine.",
)
@click.option(
    "--out",
    default=None,
    type=click.Path(dir_okay=False),
    help="Parquet file written as designs finish; a rerun resumes from it.",
)
@plot_option
@report_options
def command(
    grid: str,
    engine: str,
    address: str | None,
    workers: int | None,
    reps: int | None,
    seed: int | None,
    out: str | None,
    plot_file: str | None,
    as_json: bool,
    html_file: str | None,
) -> None:
    """Choose a survey design: simulate every design of GRID.toml with every estimator and
    report power, bias, RMSE, coverage and floor/ceiling shares (with Monte Carlo s.e.),
    ranking the designs that reach the target power at the lowest n.

    Example: unspoken diagnose grid.toml --engine processes --out results.parquet
    """
    from unspoken.diagnosis import diagnose

    args = read_grid(grid)
    if reps is not None:
        args["reps"] = reps
    if seed is not None:
        args["seed"] = seed
    res = diagnose(**args, engine=engine, workers=workers, address=address, out=out)
    if plot_file:
        res.plot(plot_file)
    finish(res, as_json, html_file)
