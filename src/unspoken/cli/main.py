"""Entry point of the ``unspoken`` command.

Each subcommand lives in its own module of this package and exposes a ``click`` command
named ``command``; add its module name to ``COMMANDS`` to register it. Modules are
imported only when their command runs, so ``unspoken --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys
import warnings

import click

from unspoken.errors import UnspokenError

# command name -> module in unspoken.cli (each module defines ``command``)
COMMANDS: dict[str, str] = {
    "demo": "demo_cmd",
    "datasets": "datasets_cmd",
    "list": "list_cmd",
    "design-test": "design_test_cmd",
    "list-double": "list_double_cmd",
    "list-joint": "list_joint_cmd",
    "mrp": "mrp_cmd",
    "polls": "polls_cmd",
    "direct": "direct_cmd",
    "gap": "gap_cmd",
    "combined": "combined_cmd",
    "rr": "rr_cmd",
    "rr-power": "rr_power_cmd",
    "list-power": "list_power_cmd",
    "diagnose": "diagnose_cmd",
    "table-list": "table_list_cmd",
    "table-direct": "table_direct_cmd",
    "table-gap": "table_gap_cmd",
    "serve": "serve_cmd",
}

HELP = {
    "demo": "The main job: a list experiment end to end, then what people say vs hide.",
    "datasets": "List the bundled example data sets (or show one).",
    "list": "Fit a list experiment (item count technique).",
    "design-test": "Test a list experiment for design effects (Blair & Imai 2012).",
    "list-double": "Double list experiment: pooled/averaged estimates, list consistency.",
    "list-joint": "The hidden trait as a predictor of an outcome (Imai, Park & Greene 2015).",
    "mrp": "Hidden opinion by area: multilevel list model, poststratified (MRP).",
    "polls": "Pool polls: one trend across pollsters, house effects, anchors (Jackman).",
    "direct": "Direct poll: answer shares with survey intervals, overall and by subgroup.",
    "gap": "Falsification gap: direct vs hidden (list) share and their difference.",
    "combined": "Combined list and direct estimator with placebo tests (Aronow et al. 2015).",
    "rr": "Randomized response / crosswise regression and prevalence (R rr designs).",
    "rr-power": "Power or sample size for a randomized response design (power.rr.test).",
    "list-power": "Sample size or power of a list experiment, or of the falsification gap.",
    "diagnose": "Choose a survey design: simulate a grid of designs (local, processes, Dask).",
    "table-list": "A list experiment from a published table of answer counts per arm.",
    "table-direct": "A direct poll from a published topline (shares of each answer, n).",
    "table-gap": "The gap from two published estimates and their standard errors.",
    "serve": "Open a local web page: choose data, run an analysis, read the report.",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module = importlib.import_module(f"unspoken.cli.{COMMANDS[name]}")
        return module.command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, HELP.get(name, "")) for name in COMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="unspoken")
def cli() -> None:
    """unspoken: measure what people will not say out loud.

    Indirect survey designs (list experiments, randomized response), the gap between
    direct and hidden answers, pooled polls, and power analysis. All computation is
    local: your data never leave this machine.
    """


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; errors the user can fix are printed without a traceback (exit code 2),
    warnings as one 'Warning: ...' line each on stderr."""
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        _run(argv)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    click.echo(f"Warning: {message}", err=True)


def _run(argv: list[str] | None) -> None:
    try:
        cli.main(args=argv, standalone_mode=False)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except UnspokenError as e:
        click.echo(f"Error: {e}", err=True)
        sys.exit(2)
    except FileNotFoundError as e:
        click.echo(f"Error: file not found: {e.filename or e}", err=True)
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
