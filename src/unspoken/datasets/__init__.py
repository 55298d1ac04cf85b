"""Bundled example data sets, loadable by name.

The list-experiment and randomized-response data are exact copies of the data frames that
ship with the R packages ``list`` 9.2.6 and ``rr`` 1.4.2; ``README.md`` beside this file
documents every column, the designs and the papers to cite. Use :func:`names` to list them
and :func:`load` to read one as a pandas DataFrame.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import pandas as pd

from unspoken.errors import UnspokenError


@dataclass(frozen=True)
class DatasetInfo:
    """What a bundled data set is, where it lives and how to cite it."""

    name: str
    path: str  # relative to datasets/data/
    title: str
    design: str  # e.g. "list: outcome y, treat treat, J = 3"
    citation: str
    read_options: tuple[tuple[str, object], ...] = ()


_SNIDERMAN = "Sniderman, Tetlock et al. (1991) National Race and Politics Survey"
_BLAIR_IMAI = "Blair & Imai (2012), Statistical analysis of list experiments, Political Analysis"

CATALOG: dict[str, DatasetInfo] = {
    d.name: d
    for d in [
        DatasetInfo(
            "race",
            "list/race.csv",
            "1991 race survey: 'a black family moving next door' list experiment (N = 1213)",
            "list: outcome y, treat treat, J = 3",
            f"{_SNIDERMAN}; Imai (2011) JASA; {_BLAIR_IMAI}",
        ),
        DatasetInfo(
            "affirm",
            "list/affirm.csv",
            "1991 race survey: 'black leaders asking for affirmative action' list (N = 1171)",
            "list: outcome y, treat treat (TRUE/FALSE), J = 3",
            f"{_SNIDERMAN}; {_BLAIR_IMAI}",
        ),
        DatasetInfo(
            "multi",
            "list/multi.csv",
            "1991 race survey: two sensitive items, control/race/affirm arms (N = 1795)",
            "list, several sensitive items: outcome y, treat treat (control, race, affirm), J = 3",
            f"{_SNIDERMAN}; {_BLAIR_IMAI}",
        ),
        DatasetInfo(
            "mis",
            "list/mis.csv",
            "1994 Multi-Investigator Survey: list experiment plus a separate direct subsample",
            "list + direct: outcome y, treat treat, J = 4, direct question sensitive",
            f"Sniderman, Brady, Tetlock et al. (1994) Multi-Investigator Survey; {_BLAIR_IMAI}",
        ),
        DatasetInfo(
            "mexico",
            "list/mexico.csv",
            "2012 Mexico Panel Study: vote-buying list experiment (N = 1004)",
            "list + direct: outcome mex.y.all, treat mex.t, J = 3, direct mex.direct",
            "Greene, Dominguez, Lawson & Moreno (2012) Mexico Panel Study; "
            "Imai, Park & Greene (2014) Political Analysis",
        ),
        DatasetInfo(
            "combinedListExps",
            "list/combinedListExps.csv",
            "Five list experiments, each with a direct question (N = 1023)",
            "list + direct: outcome list<k>N, treat list<k>treat, direct direct<k>, k = 1..5",
            "Aronow, Coppock, Crawford & Green (2015) J. Survey Statistics and Methodology",
        ),
        DatasetInfo(
            "combinedListExps_long",
            "list/combinedListExps_long.csv",
            "The five list experiments of combinedListExps, one row per respondent x experiment",
            "list + direct: outcome y, treat treat, direct direct, experiment 1..5",
            "Aronow, Coppock, Crawford & Green (2015) J. Survey Statistics and Methodology",
        ),
        DatasetInfo(
            "nigeria",
            "rr/nigeria.csv",
            "Nigeria: randomized response on social contact with armed groups (N = 2457)",
            "rr forced-known: outcome rr.q1, p = 2/3, p1 = 1/6, p0 = 1/6",
            "Blair (2014); Blair, Imai & Zhou (2015) JASA",
        ),
    ]
}


def names() -> list[str]:
    """Names of the bundled data sets."""
    return list(CATALOG)


def info(name: str) -> DatasetInfo:
    """Description and citation of one bundled data set."""
    try:
        return CATALOG[name]
    except KeyError:
        raise UnspokenError(
            f"no bundled data set called '{name}'; available: {', '.join(CATALOG)}"
        ) from None


def path(name: str):
    """The file behind a bundled data set (an importlib resource path)."""
    return resources.files(__package__).joinpath("data", info(name).path)


def load(name: str) -> pd.DataFrame:
    """Read a bundled data set as a pandas DataFrame (a fresh copy each call)."""
    d = info(name)
    with resources.as_file(path(name)) as p:
        return pd.read_csv(p, **dict(d.read_options))


def documentation() -> str:
    """The README that documents every bundled data set."""
    return resources.files(__package__).joinpath("README.md").read_text(encoding="utf-8")
