"""Make the SYNTHETIC example for poststratification (issue 14): a population table of
62 regions x 3 age groups x 2 sexes with cell counts, and a list-experiment survey of
5,200 respondents drawn from it in 60 of the regions (two regions are not surveyed).

Nothing here is real data. The truth: respondent i of region a holds the hidden trait with
probability expit(-1.0 + 0.4 [35-54] + 0.9 [55+] + 0.3 female + 0.5 protest_a + u_a),
u_a ~ N(0, 0.8^2); the J = 3 control items are Binomial(3, expit(-0.3 + 0.2 female + v_a)),
v_a ~ N(0, 0.3^2). ``protest`` is a standardised area-level indicator. The population file
keeps each cell's true probability (``true_share``), so the true poststratified share of a
region is the count-weighted mean of ``true_share`` over its cells.

The direct question ``say_support`` (drawn after everything above, from a second stream
seeded 2027, so the list data do not change): a respondent with the trait says "yes"; one
without it says "yes" anyway (out of caution) with probability
expit(-1.2 + 0.6 fear_a), fear_a ~ N(0, 1) by region; 7% of all answer "hard to say"
instead. The population keeps each cell's true probability of saying "yes",
``true_direct`` = P(yes) (a "hard to say" is not a yes).
The area file ``synthetic_regions_areas.csv`` holds, per region, ``protest`` and a
behavioural indicator ``volunteers`` (made-up volunteer sign-ups per 10,000 adults), which
rises with the region's true hidden share (log-linear in u_a, with noise).

Run: python scripts/make_synthetic_regions.py  (writes the three CSV files; seeds 2026, 2027)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit

SEED = 2026
OUT = Path(__file__).resolve().parents[1] / "src/unspoken/datasets/data/multilevel"
AGES = ["18-34", "35-54", "55+"]


def make(seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The (survey, population, areas) frames."""
    rng = np.random.default_rng(seed)
    A = 62
    regions = [f"R{a + 1:02d}" for a in range(A)]
    protest = np.round(rng.normal(0, 1, A), 2)
    u, v = rng.normal(0, 0.8, A), rng.normal(0, 0.3, A)
    # population cells: region x age x sex, counts from a region size and its age mix
    size = np.round(np.exp(rng.normal(12, 0.8, A)))
    mix = rng.dirichlet([4, 4, 3], A)  # (A, 3) age shares
    a_idx, g_idx, f_idx = (
        m.ravel() for m in np.meshgrid(range(A), range(3), range(2), indexing="ij")
    )
    count = np.round(size[a_idx] * mix[a_idx, g_idx] * np.where(f_idx == 1, 0.54, 0.46))
    eta = -1.0 + 0.4 * (g_idx == 1) + 0.9 * (g_idx == 2) + 0.3 * f_idx + 0.5 * protest[a_idx]
    population = pd.DataFrame(
        {
            "region": [regions[a] for a in a_idx],
            "age_group": [AGES[g] for g in g_idx],
            "female": f_idx,
            "count": count.astype(int),
            "protest": protest[a_idx],
            "true_share": np.round(expit(eta + u[a_idx]), 6),
        }
    )
    # the survey: 30-130 respondents in each of the first 60 regions, cells drawn by count
    n_a = rng.integers(30, 131, A - 2)
    rows = []
    for a in range(A - 2):  # a loop over 60 regions, not over respondents
        cells = np.flatnonzero(a_idx == a)
        rows.append(rng.choice(cells, size=n_a[a], p=count[cells] / count[cells].sum()))
    cell = np.concatenate(rows)
    n = len(cell)
    treat = rng.integers(0, 2, n)
    z = rng.random(n) < population["true_share"].to_numpy()[cell]
    c = rng.binomial(3, expit(-0.3 + 0.2 * f_idx[cell] + v[a_idx[cell]]))
    survey = pd.DataFrame(
        {
            "region": population["region"].to_numpy()[cell],
            "age_group": population["age_group"].to_numpy()[cell],
            "female": f_idx[cell],
            "protest": protest[a_idx[cell]],
            "treat": treat,
            "y": c + treat * z,
        }
    )
    # the direct question and the area file, from a second stream (the list data above stay)
    rng2 = np.random.default_rng(seed + 1)
    fear = rng2.normal(0, 1, A)
    caution = expit(-1.2 + 0.6 * fear)
    dk = rng2.random(n) < 0.07
    says = z | (rng2.random(n) < caution[a_idx[cell]])
    survey["say_support"] = np.where(dk, "hard to say", np.where(says, "yes", "no"))
    ts = population["true_share"].to_numpy()
    population["true_direct"] = np.round(0.93 * (ts + (1 - ts) * caution[a_idx]), 6)
    volunteers = np.round(np.exp(2.5 + 0.5 * u + rng2.normal(0, 0.25, A)), 1)
    areas = pd.DataFrame({"region": regions, "protest": protest, "volunteers": volunteers})
    return survey, population, areas


def main() -> None:
    survey, population, areas = make()
    OUT.mkdir(parents=True, exist_ok=True)
    survey.to_csv(OUT / "synthetic_regions_survey.csv", index=False)
    population.to_csv(OUT / "synthetic_regions_population.csv", index=False)
    areas.to_csv(OUT / "synthetic_regions_areas.csv", index=False)
    print(
        f"survey: {len(survey)} rows; population: {len(population)} cells; areas: "
        f"{len(areas)} -> {OUT}"
    )


if __name__ == "__main__":
    main()
