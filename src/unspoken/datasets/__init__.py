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


_SNIDERMAN = "Sniderman, Tetlock et al. (1991) National Race and Politics Survey"
_BLAIR_IMAI = "Blair & Imai (2012), Statistical analysis of list experiments, Political Analysis"
_TRACKER = (
    "biznesslanch/Russian-Public-Opinion-Tracker (GitHub, data of 2020-09-03), from levada.ru, "
    "fom.ru and wciom.ru"
)

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
            "double_list",
            "list/double_list.csv",
            "Simulated double list experiment (N = 1000; true prevalence 0.41), with survey "
            "weights, 50 PSUs in 5 strata",
            "double list: outcomes y1, y2, group long1 (1 = sensitive item in list 1), "
            "J1 = J2 = 4; weights weight, cluster psu, strata stratum",
            "Simulated by unspoken.simulate.double_list.simulate_double_list(1000, "
            "seed=2026); design of Droitcour et al. (1991) and Glynn (2013) POQ 77:159-172",
        ),
        DatasetInfo(
            "nigeria",
            "rr/nigeria.csv",
            "Nigeria: randomized response on social contact with armed groups (N = 2457)",
            "rr forced-known: outcome rr.q1, p = 2/3, p1 = 1/6, p0 = 1/6",
            "Blair (2014); Blair, Imai & Zhou (2015) JASA",
        ),
        DatasetInfo(
            "gap_placebo",
            "gap/placebo_sim.csv",
            "Simulated survey: list experiment with a placebo list and a direct question "
            "with 'hard to say' (N = 3000; true gap -0.126, deflation about -0.097)",
            "gap with placebo list: outcome count, treat treat, placebo placebo, J = 4, "
            "direct support (definitely/rather/rather not/definitely not/hard to say), "
            "placebo item prevalence 0.5 (asked directly: placebo_direct), subgroup news",
            "Simulated by unspoken.simulate.gap.make_placebo_example(seed=2022); placebo-list "
            "design of Frye, Gehlbach, Marquardt & Reuter (2023)",
        ),
        # SYNTHETIC multilevel example (documented in data/multilevel/README.md)
        DatasetInfo(
            "synthetic_regions_survey",
            "multilevel/synthetic_regions_survey.csv",
            "SYNTHETIC survey: list experiment in 60 of 62 made-up regions (N = 5200), "
            "drawn from synthetic_regions_population",
            "multilevel list: outcome y, treat treat, J = 3, area region, covariates "
            "age_group, female, area-level predictor protest; direct question say_support "
            "(yes/no/hard to say)",
            "Synthetic, made by scripts/make_synthetic_regions.py (seed 2026); not real data",
        ),
        DatasetInfo(
            "synthetic_regions_population",
            "multilevel/synthetic_regions_population.csv",
            "SYNTHETIC population table: 62 made-up regions x age group x sex, cell counts "
            "(for unspoken.poststratify)",
            "population cells: area region, age_group, female, counts count, area-level "
            "protest, true_share (the cell's true hidden share), true_direct (its true "
            "share saying yes)",
            "Synthetic, made by scripts/make_synthetic_regions.py (seed 2026); not real data",
        ),
        DatasetInfo(
            "synthetic_regions_areas",
            "multilevel/synthetic_regions_areas.csv",
            "SYNTHETIC area file: one row per made-up region with protest and a behavioural "
            "indicator (volunteers per 10,000 adults)",
            "area data: key region, area-level predictor protest, indicator volunteers",
            "Synthetic, made by scripts/make_synthetic_regions.py (seeds 2026, 2027); not "
            "real data",
        ),
        # poll series for unspoken.polls (documented in data/polls/README.md)
        DatasetInfo(
            "putin_approval",
            "polls/russia_putin_approval.csv",
            "Putin approval, Levada + FOM + VCIOM combined, one row per poll (1999-2020)",
            "polls: share approve, pollster pollster, date date, dk hard_to_say (n not given)",
            _TRACKER,
        ),
        DatasetInfo(
            "putin_approval_levada",
            "polls/putin-approval-levada-1999.csv",
            "Levada Center monthly Putin approval, 1999-2020 (original tracker file)",
            "polls: share Approve, date Date, dk No.Answer, pollster source",
            _TRACKER,
        ),
        DatasetInfo(
            "putin_approval_fom",
            "polls/putin-approval-fom.csv",
            "FOM weekly Putin job rating, 2013-2020 (original tracker file)",
            "polls: share Approve, date Date, dk hard_to_say, pollster source",
            _TRACKER,
        ),
        DatasetInfo(
            "putin_approval_vciom",
            "polls/vciom-presidential-approval-2006.csv",
            "VCIOM weekly presidential approval, 2006-2020 (original tracker file)",
            "polls: share Approve, date Date, pollster source (no hard-to-say column)",
            _TRACKER,
        ),
        DatasetInfo(
            "australia_polls_2004_2007",
            "polls/australia_2004_2007.csv",
            "Australian first-preference polls between the 2004 and 2007 elections (239)",
            "polls: share ALP, pollster org, start startDate, end endDate, n sampleSize",
            "pscl::AustralianElectionPolling; Jackman (2009) Bayesian Analysis for the "
            "Social Sciences, Example 9.3",
        ),
        DatasetInfo(
            "australia_polls_2004_campaign",
            "polls/australia_2004_campaign.csv",
            "Australian 2004 election campaign polls (66), Jackman's replication data",
            "polls: share coalition2PP or coalition, pollster org, start start, end end, "
            "n sampleSize",
            "Jackman (2005) Pooling the polls over an election campaign, Australian Journal "
            "of Political Science 40(4):499-517",
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
    with resources.as_file(path(name)) as p:
        return pd.read_csv(p)


def documentation() -> str:
    """The README that documents every bundled data set."""
    return resources.files(__package__).joinpath("README.md").read_text(encoding="utf-8")
