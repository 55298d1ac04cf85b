"""``multilevel_list(method="bayes")``: the NUTS posterior of :mod:`unspoken.multilevel.bayes`
turned into the same :class:`~unspoken.multilevel.results.MultilevelListFit` as the
quadrature route. Every number is a posterior summary: fixed effects and SDs by their
posterior mean, SD and central credible interval; an area's hidden (said) share and gap by
the posterior mean, SD and central interval of the share over its respondents. The
posterior draws of the area shares are kept for :meth:`~unspoken.multilevel.results.
MultilevelListFit.area_draws` and the poststratification.
"""

from __future__ import annotations

import numpy as np

from unspoken.results import Estimate

__all__ = ["fit_bayes"]


def fit_bayes(
    d, model, raw, area, direct, level, min_n, draws, warmup, chains, seed, progress=True
):
    """Sample the posterior of the model of ``d`` (a prepared
    :class:`~unspoken.multilevel.data.MultilevelData`; ``model`` the quadrature model,
    for its loadings) and summarise it."""
    from unspoken.multilevel.bayes import (
        BayesData,
        area_summaries,
        converged,
        diagnostics,
        sample_posterior,
    )
    from unspoken.multilevel.data import fixed_effect_labels, national_shares
    from unspoken.multilevel.estimates import area_records
    from unspoken.multilevel.results import MultilevelListFit

    slope = next((ld.slope for ld in model.loadings if ld.name == "slope"), None)
    bd = BayesData(
        X=d.X,
        area=d.codes,
        A=len(d.labels),
        J=d.J,
        y=d.y,
        t=d.t,
        in_list=d.in_list,
        d=d.d,
        in_direct=d.in_direct,
        z=None if slope is None else d.X[:, slope],
        terms=tuple(d.terms),
        correlated=model.correlated,
    )
    post = sample_posterior(
        bd, chains=chains, warmup=warmup, draws=draws, seed=seed, progress=progress
    )
    summ = area_summaries(bd, post, level)
    diag = diagnostics(post, summ)
    flat = {k: v.reshape(-1, *v.shape[2:]) for k, v in post.samples.items()}
    blocks = ["delta", "psi"] + (["gamma"] if d.d is not None else [])
    fixed = np.concatenate([flat[b] for b in blocks], axis=1)  # (S, r)
    est = {
        q: [
            Estimate(
                float(s["mean"][a]),
                float(s["sd"][a]),
                float(s["ci_low"][a]),
                float(s["ci_high"][a]),
                int(n),
                level=level,
            )
            for a, n in enumerate(np.bincount(d.codes, minlength=len(d.labels)))
        ]
        for q, s in summ.items()
    }
    national, national_direct = national_shares(d)
    areas = area_records(est, raw, d.labels, national, min_n, d.d is not None)
    sd = {
        name: Estimate.from_draws(flat[key], level)
        for name, key in (
            ("sensitive", "sigma_u"),
            ("control", "sigma_v"),
            ("slope", "sigma_s"),
            ("direct", "sigma_w"),
            ("correlation", "rho"),
        )
        if key in flat and (key != "rho" or model.correlated)
    }
    notes = [
        *d.notes,
        f"posterior by NUTS (NumPyro): {post.chains} chains x {post.draws} draws after "
        f"{post.warmup} warm-up, {post.seconds:.1f} s; {post.divergences} divergent "
        "transitions",
    ]
    ok = converged(diag) and post.divergences == 0
    if not ok:
        notes.append(
            "the sampler has not converged (an R-hat above 1.01, a bulk ESS below 400 or "
            "divergent transitions): run longer (draws=, warmup=) before using the numbers"
        )
    worst = max((v["rhat"] for v in diag.values()), default=np.nan)
    return MultilevelListFit(
        **fixed_effect_labels(d),
        params_=fixed.mean(0),
        cov=np.atleast_2d(np.cov(fixed, rowvar=False)),
        sd=sd,
        areas=areas,
        national=national,
        area=area,
        n=int(d.n),
        J=d.J,
        nodes=0,
        random_effects=True,
        theta_cov=np.atleast_2d(np.cov(fixed, rowvar=False)),
        loglik=float("nan"),
        converged=bool(ok),
        iterations=int(post.chains * (post.draws + post.warmup)),
        gradient_norm=float(worst),
        level=level,
        notes=notes,
        rounds=0,
        min_n=min_n,
        method="bayes",
        direct=direct,
        national_direct=national_direct,
        diagnostics=diag,
        state={
            "draws": {q: s["draws"] for q, s in summ.items()},
            "posterior": post,
            "bayes_data": bd,
            "slope_col": slope,
            "design": d.design,
            "frame": d.frame,
            "labels": list(d.labels),
            "area_columns": d.area_columns,
        },
    )
