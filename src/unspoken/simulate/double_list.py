"""Data-generating process of a double list experiment with a known truth.

Respondent ``i`` has covariates ``age`` (years / 10) and ``female``, a sensitive trait
``Z_i ~ Bernoulli(expit(b0 + b_age age + b_female female))`` and a latent disposition
``u_i ~ N(0, 1)`` shared by the control items of *both* lists (so the two control counts are
positively correlated, as Glynn (2013) recommends). Each of the ``J1`` (``J2``) control items
of list 1 (2) is endorsed with probability ``expit(a_j + rho u_i + 0.3 (female - 0.5))``.
``long1 = 1`` marks the group that hears the sensitive item in list 1 (else in list 2).
Respondents sit in ``n_psu`` PSUs within ``n_strata`` strata, with a PSU effect on the trait
(so answers are correlated within PSUs) and probability weights that vary by stratum.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit


def simulate_double_list(
    n: int = 1000,
    J1: int = 4,
    J2: int = 4,
    coef: tuple[float, float, float] = (-2.0, 0.25, 0.6),
    rho: float = 1.2,
    n_psu: int = 50,
    n_strata: int = 5,
    psu_sd: float = 0.5,
    seed: int | np.random.Generator | None = None,
) -> tuple[pd.DataFrame, dict]:
    """One simulated double-list sample and its truth: ``population_prevalence`` (the
    expected share with the trait, what the estimators target), ``prevalence`` (this
    sample's mean of the respondents' trait probabilities) and ``share_with_trait``."""
    rng = np.random.default_rng(seed)
    psu = rng.integers(0, n_psu, n)
    stratum = psu % n_strata
    age = np.round(rng.uniform(1.8, 8.5, n), 1)
    female = rng.integers(0, 2, n)
    psu_effect = rng.normal(0, psu_sd, n_psu)[psu]
    eta = coef[0] + coef[1] * age + coef[2] * female + psu_effect
    prob = expit(eta)
    z = rng.random(n) < prob
    u = rng.normal(size=n)
    base = 0.3 * (female - 0.5) + rho * u
    a1 = np.linspace(-1.5, 1.5, J1)
    a2 = np.linspace(-1.2, 1.2, J2)
    c1 = (rng.random((n, J1)) < expit(a1[None, :] + base[:, None])).sum(1)
    c2 = (rng.random((n, J2)) < expit(a2[None, :] + base[:, None])).sum(1)
    long1 = rng.integers(0, 2, n)
    y1 = c1 + long1 * z
    y2 = c2 + (1 - long1) * z
    weight = np.round((1.0 + stratum * 0.5) * rng.uniform(0.8, 1.2, n), 3)
    df = pd.DataFrame(
        {
            "y1": y1,
            "y2": y2,
            "long1": long1,
            "age": age,
            "female": female,
            "psu": psu + 1,
            "stratum": stratum + 1,
            "weight": weight,
        }
    )
    # population prevalence E[expit(eta)] over the covariate and PSU-effect distributions:
    # age = U(1.8, 8.5) rounded to 0.1 (end points half as likely), female ~ Bernoulli(0.5),
    # PSU effect ~ N(0, psu_sd^2) by Gauss-Hermite quadrature
    ages = np.round(np.arange(1.8, 8.5 + 1e-9, 0.1), 1)
    pa = np.full(len(ages), 0.1)
    pa[[0, -1]] = 0.05
    pa /= pa.sum()
    gh_x, gh_w = np.polynomial.hermite_e.hermegauss(40)
    gh_w = gh_w / gh_w.sum()
    pop = 0.0
    for fem in (0, 1):
        e = coef[0] + coef[1] * ages[:, None] + coef[2] * fem + psu_sd * gh_x[None, :]
        pop += 0.5 * float(pa @ expit(e) @ gh_w)
    truth = {
        "population_prevalence": pop,
        "prevalence": float(prob.mean()),
        "weighted_prevalence": float(np.average(prob, weights=weight)),
        "share_with_trait": float(z.mean()),
        "J1": J1,
        "J2": J2,
    }
    return df, truth
