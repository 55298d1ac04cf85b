"""Full Bayes for the multilevel list model (and its direct question): NUTS in NumPyro.

The model is the one :mod:`unspoken.multilevel.model` integrates by quadrature, with priors
added. Respondent ``i`` of area ``a``:

- sensitive item ``Z_i ~ Bernoulli(expit(x_i' delta + u_a [+ z_i s_a]))``;
- control items ``Binomial(J, expit(x_i' psi + v_a))``; the list count of a treated
  respondent has ``P(y) = pi Bin(y-1) + (1-pi) Bin(y)`` (the trait summed out), of a control
  respondent ``Bin(y)``;
- direct answer ``D_i ~ Bernoulli(expit(x_i' gamma + w_a))`` (rows ``in_direct``), the list
  and direct answers independent given the area effects and covariates;
- area effects from independent standard normals ``b_a`` (non-centred): ``u_a = sigma_u
  b_a1``, ``v_a = sigma_v b_a2``, the random slope ``s_a = sigma_s b_a3`` and ``w_a = l_wu
  b_a1 + l_ww b_aD`` (``l_ww > 0``: the Cholesky factor of the covariance of ``(u_a, w_a)``,
  whose SD ``sigma_w = sqrt(l_wu^2 + l_ww^2)`` and correlation ``rho = l_wu / sigma_w`` the
  draws report too).

Priors (weakly informative, logit scale): every fixed effect ``N(0, 5^2)``; every SD
(``sigma_u``, ``sigma_v``, ``sigma_s``, ``l_ww``) ``Gamma(2, 1)`` (mode 1, mean 2: Chung et
al. 2013's boundary-avoiding prior, the density of the penalty that ``method="laplace"``
maximises), ``l_wu ~ N(0, 1)``. An area's hidden share is the mean of ``expit(x_i' delta +
u_a [+ z_i s_a])`` over the area's respondents, its direct share the mean of ``expit(x_i'
gamma + w_a)`` over the same respondents, the gap their difference (hidden - direct, the
sign of :func:`unspoken.gap`). NumPyro and jax are the optional extra ``unspoken[bayes]``;
they are imported only when a fit asks for them.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import expit, gammaln

from unspoken.errors import UnsupportedError
from unspoken.multilevel.mcmc_diagnostics import converged as _all_converged
from unspoken.multilevel.mcmc_diagnostics import summarise

__all__ = ["BayesData", "BayesDraws", "area_summaries", "diagnostics", "sample_posterior"]

#: prior SD of every fixed effect (logit scale); the Gamma(PRIOR_SHAPE, PRIOR_RATE) prior of
#: every SD and the N(0, 1 / PRIOR_RATE^2) prior of the said effect's loading on the hidden one
PRIOR_SD_FIXED = 5.0
PRIOR_SHAPE = 2.0
PRIOR_RATE = 1.0
#: the draws' memory budget when the area shares are computed (draws x patterns per block)
_BLOCK = 2_000_000


@dataclass(frozen=True)
class BayesData:
    """The prepared data as arrays. ``X`` (n, k) the fixed-effect design shared by every
    part, ``area`` (n,) codes 0..A-1 (every area present), ``J`` control items, ``y`` (n,)
    list counts and ``t`` (n,) the arm (1 = long list) for the rows ``in_list``; ``d`` (n,)
    the 0/1 direct answer for the rows ``in_direct`` (``None``: no direct question); ``z``
    (n,) the covariate of a random slope in the sensitive-item model (``None``: none);
    ``terms`` the names of the columns of ``X`` (for the diagnostics); ``correlated``: the
    said area effect loads on the hidden one's normal (``False``: ``w_a = l_ww b_aD``, as
    the quadrature model when the same respondents answered both questions)."""

    X: np.ndarray
    area: np.ndarray
    A: int
    J: int
    y: np.ndarray
    t: np.ndarray
    in_list: np.ndarray
    d: np.ndarray | None = None
    in_direct: np.ndarray | None = None
    z: np.ndarray | None = None
    terms: tuple[str, ...] | None = None
    correlated: bool = True

    @property
    def has_direct(self) -> bool:
        return self.d is not None


@dataclass
class BayesDraws:
    """Posterior draws: ``samples`` maps each parameter to an array ``(chains, draws, ...)``
    (``delta``, ``psi`` [, ``gamma``] (k,); ``sigma_u``, ``sigma_v`` [, ``sigma_s``] [,
    ``l_wu``, ``l_ww`` and from them ``sigma_w``, ``rho``]; ``b`` (A, D) the standardised
    area effects), with the number
    of divergent transitions after warmup, the seconds of the whole run and of its jit
    compilation (part of them), and the draws that hit the tree-depth limit."""

    samples: dict[str, np.ndarray]
    chains: int
    warmup: int
    draws: int
    seed: int
    divergences: int
    seconds: float
    seconds_compile: float
    names: dict[str, list[str]] = field(default_factory=dict)
    #: draws that hit the tree-depth limit, and the mean leapfrog steps per draw
    max_treedepth_hits: int = 0
    mean_steps: float = 0.0


def _load_numpyro() -> tuple[Any, Any]:
    """``(jax, numpyro)``, or the UnsupportedError that says how to install them."""
    try:
        import jax
        import numpyro
    except ImportError as exc:
        raise UnsupportedError(
            'method="bayes" needs NumPyro and jax, an optional extra: '
            'pip install "unspoken[bayes]"',
            param="method",
        ) from exc
    return jax, numpyro


@dataclass(frozen=True)
class _Patterns:
    """Respondents with identical rows merged (``freq`` respondents each), sorted by area."""

    X: np.ndarray
    area: np.ndarray
    freq: np.ndarray
    y: np.ndarray
    t: np.ndarray
    in_list: np.ndarray
    d: np.ndarray
    in_direct: np.ndarray
    z: np.ndarray
    starts: np.ndarray  # first pattern of each area
    n_area: np.ndarray  # respondents per area


def _check(data: BayesData) -> None:
    n = len(data.area)
    arrays = {"X": data.X, "y": data.y, "t": data.t, "in_list": data.in_list}
    arrays.update(
        {k: getattr(data, k) for k in ("d", "in_direct", "z") if getattr(data, k) is not None}
    )
    for name, a in arrays.items():
        if np.shape(a)[0] != n:
            raise ValueError(f"BayesData.{name} has {np.shape(a)[0]} rows, area has {n}")
    if (data.d is None) != (data.in_direct is None):
        raise ValueError("BayesData.d and in_direct go together")
    rows = np.asarray(data.in_list, dtype=bool)
    y, t = np.asarray(data.y, dtype=float)[rows], np.asarray(data.t, dtype=float)[rows]
    bad = ~np.isin(t, (0, 1)) | (y != np.round(y)) | (y < 0) | (y > data.J + t)
    if bad.any():
        raise ValueError(
            f"BayesData: list rows {np.flatnonzero(rows)[bad][:5].tolist()} have a count "
            f"outside 0..J (control) or 0..J+1 (treated), or an arm other than 0/1"
        )
    counts = np.bincount(np.asarray(data.area, dtype=np.intp), minlength=data.A)
    if len(counts) != data.A or (counts == 0).any():
        raise ValueError(f"BayesData.area must hold every code 0..{data.A - 1} at least once")


def _patterns(data: BayesData) -> _Patterns:
    _check(data)
    n = len(data.area)
    in_list = np.asarray(data.in_list, dtype=bool)
    y = np.where(in_list, np.nan_to_num(np.asarray(data.y, dtype=float)), 0.0)
    t = np.where(in_list, np.nan_to_num(np.asarray(data.t, dtype=float)), 0.0)
    if data.d is None:
        in_dir, d = np.zeros(n, bool), np.zeros(n)
    else:
        in_dir = np.asarray(data.in_direct, dtype=bool)
        d = np.where(in_dir, np.nan_to_num(np.asarray(data.d, dtype=float)), 0.0)
    z = np.zeros(n) if data.z is None else np.asarray(data.z, dtype=float)
    X = np.asarray(data.X, dtype=float).reshape(n, -1)
    cols = [np.asarray(data.area, float), y, t, in_list, d, in_dir, z]
    key = np.column_stack([*cols, X])
    uniq, freq = np.unique(key, axis=0, return_counts=True)  # sorted: area first
    area = uniq[:, 0].astype(np.intp)
    return _Patterns(
        X=uniq[:, 7:],
        area=area,
        freq=freq.astype(float),
        y=uniq[:, 1],
        t=uniq[:, 2],
        in_list=uniq[:, 3] > 0.5,
        d=uniq[:, 4],
        in_direct=uniq[:, 5] > 0.5,
        z=uniq[:, 6],
        starts=np.searchsorted(area, np.arange(data.A)),
        n_area=np.bincount(area, weights=freq, minlength=data.A),
    )


def _list_constants(p: _Patterns, J: int) -> dict[str, np.ndarray]:
    """Per pattern: the clipped counts of ``Bin(y)`` and ``Bin(y-1)``, their log binomial
    coefficients, which of the two terms exist, and whether the row is treated."""
    y0, y1 = np.clip(p.y, 0, J), np.clip(p.y - 1, 0, J)

    def logc(k):
        return gammaln(J + 1) - gammaln(k + 1) - gammaln(J - k + 1)

    treated = p.t > 0.5
    return {
        "y0": y0,
        "y1": y1,
        "c0": logc(y0),
        "c1": logc(y1),
        "ok0": p.y <= J,
        "ok1": treated & (p.y >= 1),
        "treated": treated,
    }


def _build_model(p: _Patterns, data: BayesData):
    """The NumPyro model (a closure over the patterns as jax arrays)."""
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist
    from jax.nn import log_sigmoid

    J, A, k = int(data.J), int(data.A), p.X.shape[1]
    direct, slope = data.has_direct, data.z is not None
    m = 2 + int(direct) + int(slope)
    c = {key: jnp.asarray(v) for key, v in _list_constants(p, J).items()}
    X, area, z = jnp.asarray(p.X), jnp.asarray(p.area), jnp.asarray(p.z)
    w_list = jnp.asarray(p.freq * p.in_list)
    w_dir = jnp.asarray(p.freq * p.in_direct)
    dd = jnp.asarray(p.d)

    def fixed(name):
        return numpyro.sample(name, dist.Normal(0.0, PRIOR_SD_FIXED).expand([k]).to_event(1))

    def sd(name):
        return numpyro.sample(name, dist.Gamma(PRIOR_SHAPE, PRIOR_RATE))

    def model():
        delta, psi = fixed("delta"), fixed("psi")
        sigma_u, sigma_v = sd("sigma_u"), sd("sigma_v")
        b = numpyro.sample("b", dist.Normal(0.0, 1.0).expand([A, m]).to_event(2))
        eta_d = X @ delta + (sigma_u * b[:, 0])[area]
        if slope:
            eta_d = eta_d + z * (sd("sigma_s") * b[:, 2])[area]
        eta_p = X @ psi + (sigma_v * b[:, 1])[area]
        lp = log_sigmoid(eta_p)
        lq = lp - eta_p  # log(1 - expit(eta)) = log expit(eta) - eta
        lb0 = c["c0"] + c["y0"] * lp + (J - c["y0"]) * lq  # log Bin(y)
        lb1 = c["c1"] + c["y1"] * lp + (J - c["y1"]) * lq  # log Bin(y - 1)
        ld = log_sigmoid(eta_d)
        has1 = ld + lb1
        has0 = ld - eta_d + lb0
        both = jnp.logaddexp(has1, has0)  # finite: the counts are clipped into 0..J
        ll_t = jnp.where(c["ok1"] & c["ok0"], both, jnp.where(c["ok1"], has1, has0))
        ll = jnp.sum(w_list * jnp.where(c["treated"], ll_t, lb0))
        if direct:
            gamma = fixed("gamma")
            w = sd("l_ww") * b[:, m - 1]
            if data.correlated:
                w = w + numpyro.sample("l_wu", dist.Normal(0.0, 1.0 / PRIOR_RATE)) * b[:, 0]
            eta_w = X @ gamma + w[area]
            ll = ll + jnp.sum(w_dir * (log_sigmoid(eta_w) - (1 - dd) * eta_w))
        numpyro.factor("loglik", ll)

    return model


class _CompileClock:
    """Seconds jax spends tracing and compiling inside the ``with`` block (its monitoring
    events; 0 where this jax does not report them)."""

    def __init__(self, jax: Any) -> None:
        self.monitoring = getattr(jax, "monitoring", None)
        self.seconds = 0.0

    def _listen(self, event: str, duration: float, **_: Any) -> None:
        if event.startswith("/jax/core/compile/"):
            self.seconds += float(duration)

    def __enter__(self) -> _CompileClock:
        if self.monitoring is not None:
            self.monitoring.register_event_duration_secs_listener(self._listen)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.monitoring is not None:
            self.monitoring.unregister_event_duration_listener(self._listen)


def _seed(seed: int | None) -> int:
    if seed is None:
        return int(np.random.SeedSequence().entropy % (2**31))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise UnsupportedError(
            f"seed must be a whole number >= 0 or None, not {seed!r}", param="seed"
        )
    return int(seed)


def _check_counts(chains: Any, warmup: Any, draws: Any) -> None:
    for name, v, low in (("chains", chains, 1), ("warmup", warmup, 50), ("draws", draws, 100)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < low:
            raise UnsupportedError(
                f"{name} must be a whole number of at least {low}, not {v!r}", param=name
            )


def sample_posterior(
    data: BayesData,
    *,
    chains: int = 4,
    warmup: int = 1000,
    draws: int = 1000,
    seed: int | None = 0,
    progress: bool = True,
    target_accept: float = 0.8,
    max_tree_depth: int = 10,
) -> BayesDraws:
    """Posterior draws by NUTS (NumPyro, chains vectorised on the CPU, 64-bit floats).
    ``progress``: a progress bar when stderr is a terminal. ``target_accept`` (raise it,
    e.g. to 0.95, when there are divergent transitions) and ``max_tree_depth`` are NUTS's
    step-size target and its limit of ``2^depth`` leapfrog steps per draw."""
    _check_counts(chains, warmup, draws)
    seed = _seed(seed)
    jax, numpyro = _load_numpyro()
    from numpyro.infer import MCMC, NUTS

    numpyro.enable_x64()
    p = _patterns(data)
    kernel = NUTS(
        _build_model(p, data),
        target_accept_prob=float(target_accept),
        max_tree_depth=int(max_tree_depth),
    )
    mcmc = MCMC(
        kernel,
        num_warmup=int(warmup),
        num_samples=int(draws),
        num_chains=int(chains),
        chain_method="vectorized",
        progress_bar=bool(progress) and sys.stderr.isatty(),
    )
    compiling = _CompileClock(jax)
    t0 = time.perf_counter()
    with compiling:  # one compiled loop for warmup and sampling
        mcmc.run(jax.random.PRNGKey(seed), extra_fields=("diverging", "num_steps"))
        # jax dispatches asynchronously: the draws are ready when they are read
        samples = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}
    seconds = time.perf_counter() - t0
    if data.has_direct and data.correlated:
        samples["sigma_w"] = np.hypot(samples["l_wu"], samples["l_ww"])
        samples["rho"] = samples["l_wu"] / samples["sigma_w"]
    elif data.has_direct:
        samples["sigma_w"] = samples["l_ww"]
    extra = mcmc.get_extra_fields()
    div = int(np.asarray(extra["diverging"]).sum())
    steps = np.asarray(extra["num_steps"])
    return BayesDraws(
        samples=samples,
        chains=int(chains),
        warmup=int(warmup),
        draws=int(draws),
        seed=seed,
        divergences=div,
        seconds=seconds,
        seconds_compile=compiling.seconds,
        names=_names(data),
        max_treedepth_hits=int((steps >= 2**max_tree_depth - 1).sum()),
        mean_steps=float(steps.mean()),
    )


def _names(data: BayesData) -> dict[str, list[str]]:
    """The reported names of each parameter's scalars."""
    k = np.shape(data.X)[1] if np.ndim(data.X) == 2 else 1
    terms = list(data.terms) if data.terms is not None else [f"x{j}" for j in range(k)]
    out = {
        "delta": [f"sensitive:{t}" for t in terms],
        "psi": [f"control:{t}" for t in terms],
        "sigma_u": ["sd(area):sensitive"],
        "sigma_v": ["sd(area):control"],
    }
    if data.has_direct:
        out["gamma"] = [f"direct:{t}" for t in terms]
        out["sigma_w"] = ["sd(area):direct"]
        if data.correlated:
            out["rho"] = ["cor(area):sensitive,direct"]
    if data.z is not None:
        out["sigma_s"] = ["sd(area):slope"]
    return out


def _flat(draws: BayesDraws, name: str) -> np.ndarray:
    """Draws of one parameter with chains and draws merged: (chains * draws, ...)."""
    v = draws.samples[name]
    return v.reshape(-1, *v.shape[2:])


def _area_means(eta_fixed: np.ndarray, effect: np.ndarray, p: _Patterns) -> np.ndarray:
    """Per draw and area, the respondent-weighted mean of ``expit(fixed + effect)``:
    ``eta_fixed`` (S, n) or (n,) fixed parts, ``effect`` (S, n) the area effects per pattern;
    computed in blocks of draws to bound memory."""
    S, n = effect.shape
    out = np.empty((S, len(p.starts)))
    step = max(1, _BLOCK // max(n, 1))
    for s in range(0, S, step):  # blocks of draws, not a loop over respondents or draws
        e = eta_fixed[s : s + step] if eta_fixed.ndim == 2 else eta_fixed
        v = expit(e + effect[s : s + step]) * p.freq
        out[s : s + step] = np.add.reduceat(v, p.starts, axis=1) / p.n_area
    return out


def share_draws(data: BayesData, draws: BayesDraws) -> dict[str, np.ndarray]:
    """Draws (chains * draws, A) of each area's ``hidden`` share, and with a direct question
    its ``direct`` share and the ``gap`` (hidden - direct); chain-major order."""
    p = _patterns(data)
    b = _flat(draws, "b")  # (S, A, m)
    u = _flat(draws, "sigma_u")[:, None] * b[:, :, 0]
    effect = u[:, p.area]
    if "sigma_s" in draws.samples:
        effect = effect + p.z * (_flat(draws, "sigma_s")[:, None] * b[:, :, 2])[:, p.area]
    out = {"hidden": _area_means(_flat(draws, "delta") @ p.X.T, effect, p)}
    if "gamma" in draws.samples:
        w = _flat(draws, "l_ww")[:, None] * b[:, :, -1]
        if "l_wu" in draws.samples:
            w = w + _flat(draws, "l_wu")[:, None] * b[:, :, 0]
        out["direct"] = _area_means(_flat(draws, "gamma") @ p.X.T, w[:, p.area], p)
        out["gap"] = out["hidden"] - out["direct"]
    return out


def area_summaries(data: BayesData, draws: BayesDraws, level: float = 0.95) -> dict:
    """For ``hidden`` (and ``direct``, ``gap`` with a direct question): arrays over areas of
    the posterior ``mean``, ``sd``, the central ``level`` interval ``ci_low``/``ci_high``,
    and the ``draws`` (chains * draws, A)."""
    from unspoken.results import check_level

    level = check_level(level)
    out = {}
    for q, s in share_draws(data, draws).items():
        lo, hi = np.quantile(s, [(1 - level) / 2, (1 + level) / 2], axis=0)
        out[q] = {
            "mean": s.mean(0),
            "sd": s.std(0, ddof=1),
            "ci_low": lo,
            "ci_high": hi,
            "draws": s,
        }
    return out


def diagnostics(draws: BayesDraws, summaries: dict | None = None) -> dict[str, dict[str, float]]:
    """Rank-normalised split R-hat, bulk and tail ESS (Vehtari et al. 2021) of every scalar
    parameter (named as in ``draws.names``) and, given :func:`area_summaries`, the worst
    values over the areas of each share (``"hidden share (worst area)"`` ...)."""
    out: dict[str, dict[str, float]] = {}
    for key, names in draws.names.items():
        v = draws.samples[key].reshape(draws.chains, draws.draws, -1)
        stats = summarise(v)
        for j, name in enumerate(names):
            out[name] = {s: float(stats[s][j]) for s in ("rhat", "ess_bulk", "ess_tail")}
    for q, summ in (summaries or {}).items():
        v = summ["draws"].reshape(draws.chains, draws.draws, -1)
        stats = summarise(v)
        out[f"{q} share (worst area)"] = {
            "rhat": float(np.max(stats["rhat"])),
            "ess_bulk": float(np.min(stats["ess_bulk"])),
            "ess_tail": float(np.min(stats["ess_tail"])),
        }
    return out


def converged(diag: dict[str, dict[str, float]]) -> bool:
    """Every R-hat below 1.01 and every bulk ESS above 400 (Vehtari et al. 2021)."""
    return _all_converged(diag)
