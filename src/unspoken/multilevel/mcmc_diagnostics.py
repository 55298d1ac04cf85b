"""Convergence diagnostics of Markov chains: split R-hat and the effective sample sizes of
Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021), "Rank-normalization, folding, and
localization: an improved R-hat for assessing convergence of MCMC", Bayesian Analysis 16.

Draws come as arrays ``(chains, draws, ...)``; every function is vectorised over the trailing
axes (one value per scalar quantity).

- :func:`split_rhat` — the classic potential scale reduction of Gelman & Rubin on chains cut
  in halves: ``sqrt(var+ / W)`` with ``W`` the mean within-chain variance and
  ``var+ = (N-1)/N W + B/N`` (``B/N`` the variance of the chain means).
- :func:`ess` — the effective sample size ``M N / tau`` with ``tau = -1 + 2 sum_t P_t``,
  ``P_t = rho_2t + rho_2t+1`` the sums of adjacent autocorrelations of the combined chains
  (``rho_t = 1 - (W - mean_m acov_m(t)) / var+``, autocovariances by FFT) truncated at the
  first non-positive ``P_t`` and made monotone (Geyer's initial monotone sequence).
- :func:`rhat` — Vehtari et al.'s R-hat: the larger of the split R-hat of the rank-normalised
  draws and of the rank-normalised folded draws ``|x - median|``.
- :func:`ess_bulk` — :func:`ess` of the rank-normalised split chains; :func:`ess_tail` — the
  smaller of the ESS of the indicators ``x <= q05`` and ``x >= q95`` (split chains).

The unnormalised :func:`split_rhat` and :func:`ess` compute what
``numpyro.diagnostics.split_gelman_rubin`` and ``effective_sample_size`` compute (the tests
compare them); the rank-normalised versions are what :func:`summarise` reports.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri
from scipy.stats import rankdata

__all__ = ["ess", "ess_bulk", "ess_tail", "rhat", "split_rhat", "summarise"]

#: R-hat below this and bulk ESS above that count as converged (Vehtari et al. 2021, sec. 4)
RHAT_MAX = 1.01
ESS_MIN = 400


def _split(x: np.ndarray) -> np.ndarray:
    """Each chain cut into its first and last half (an odd draw in the middle dropped)."""
    half = x.shape[1] // 2
    return np.concatenate([x[:, :half], x[:, x.shape[1] - half :]], axis=0)


def _variances(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``W`` (mean within-chain variance) and ``var+`` of chains ``x`` (M, N, ...)."""
    n = x.shape[1]
    w = x.var(axis=1, ddof=1).mean(axis=0)
    var_plus = w * (n - 1) / n
    if x.shape[0] > 1:
        var_plus = var_plus + x.mean(axis=1).var(axis=0, ddof=1)
    else:
        w = var_plus
    return w, var_plus


def split_rhat(x: np.ndarray) -> np.ndarray:
    """Split R-hat of draws ``x`` (chains, draws, ...): ``sqrt(var+ / W)`` over half chains."""
    x = np.asarray(x, dtype=float)
    if x.ndim < 2 or x.shape[1] < 4:
        raise ValueError("split R-hat needs draws shaped (chains, draws >= 4, ...)")
    w, var_plus = _variances(_split(x))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(var_plus / w)


def _autocovariance(x: np.ndarray) -> np.ndarray:
    """Biased autocovariances (divided by N) of each chain along axis 1, by FFT (zero
    padding to at least twice the length, so the circular product is the linear one)."""
    n = x.shape[1]
    size = 2 * n
    c = x - x.mean(axis=1, keepdims=True)
    f = np.fft.rfft(c, n=size, axis=1)
    return np.fft.irfft(f * np.conj(f), n=size, axis=1)[:, :n] / n


def ess(x: np.ndarray) -> np.ndarray:
    """Effective sample size of draws ``x`` (chains, draws, ...) by Geyer's initial monotone
    sequence on the combined chains' autocorrelations."""
    x = np.asarray(x, dtype=float)
    if x.ndim < 2 or x.shape[1] < 2:
        raise ValueError("the ESS needs draws shaped (chains, draws >= 2, ...)")
    m, n = x.shape[:2]
    w, var_plus = _variances(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = 1.0 - (w - _autocovariance(x).mean(axis=0)) / var_plus
    rho[0] = 1.0
    pairs = rho[: 2 * (n // 2) : 2] + rho[1 : 2 * (n // 2) : 2]  # P_t, t = 0, 1, ...
    # truncate at the first non-positive P_t (t >= 1) and make the sequence non-increasing
    rest = np.minimum.accumulate(np.clip(pairs[1:], 0.0, None), axis=0)
    tau = -1.0 + 2.0 * (pairs[0] + rest.sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return m * n / tau


def _rank_normal(x: np.ndarray) -> np.ndarray:
    """Normal scores of the ranks pooled over all chains and draws (average ranks for ties,
    Blom's offset ``(r - 3/8) / (S + 1/4)``)."""
    m, n = x.shape[:2]
    flat = x.reshape(m * n, -1)
    r = rankdata(flat, axis=0, method="average")
    return ndtri((r - 0.375) / (m * n + 0.25)).reshape(x.shape)


def rhat(x: np.ndarray) -> np.ndarray:
    """Rank-normalised split R-hat (Vehtari et al. 2021): the larger of the bulk R-hat and
    the R-hat of the folded draws ``|x - median|``."""
    x = np.asarray(x, dtype=float)
    folded = np.abs(x - np.median(x.reshape(-1, *x.shape[2:]), axis=0))
    return np.maximum(split_rhat(_rank_normal(x)), split_rhat(_rank_normal(folded)))


def ess_bulk(x: np.ndarray) -> np.ndarray:
    """Bulk ESS: the ESS of the rank-normalised draws of the split chains."""
    return ess(_rank_normal(_split(np.asarray(x, dtype=float))))


def ess_tail(x: np.ndarray) -> np.ndarray:
    """Tail ESS: the smaller ESS of the indicators of the 5% and 95% tails (split chains)."""
    s = _split(np.asarray(x, dtype=float))
    flat = s.reshape(-1, *s.shape[2:])
    q05, q95 = np.quantile(flat, [0.05, 0.95], axis=0)
    return np.minimum(ess((s <= q05).astype(float)), ess((s >= q95).astype(float)))


def summarise(x: np.ndarray) -> dict[str, np.ndarray]:
    """``rhat``, ``ess_bulk`` and ``ess_tail`` of draws ``x`` (chains, draws, ...)."""
    return {"rhat": rhat(x), "ess_bulk": ess_bulk(x), "ess_tail": ess_tail(x)}


def converged(diagnostics: dict[str, dict[str, float]]) -> bool:
    """Every R-hat below :data:`RHAT_MAX` and every bulk ESS above :data:`ESS_MIN`."""
    return all(d["rhat"] < RHAT_MAX and d["ess_bulk"] > ESS_MIN for d in diagnostics.values())
