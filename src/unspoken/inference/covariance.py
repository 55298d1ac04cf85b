"""Covariance estimators chosen by name, all from influence values.

Every estimator in unspoken can write its estimate as ``theta_hat - theta ≈ sum_i psi_i``
(``psi_i`` = the respondent's influence value: for an M-estimator, its score contribution
times the inverse Hessian ("bread"); for a mean, its weighted deviation over the weight
total). The variance estimators then differ only in how the ``psi_i`` are summed:

``"hc0"``      sum_i psi_i psi_i'                       (White's robust sandwich)
``"hc1"``      n/(n-k) * hc0
``"hc2"``/``"hc3"``  hc0 with psi_i / sqrt(1-h_i) or / (1-h_i) (linear models; leverage h_i)
``"cluster"``  G/(G-1) sum_g (sum_{i in g} psi_i)(...)'
``"survey"``   sum_h n_h/(n_h-1) sum_{j in h} (z_hj - zbar_h)(...)', z_hj the PSU totals —
               Taylor linearisation with-replacement variance of R ``survey`` (Lumley 2010)
``"model"``    the inverse information (given by the caller, not computed from psi).

``"bootstrap"`` refits on resampled data: :func:`unspoken.inference.bootstrap.bootstrap_cov`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from unspoken.errors import DataError, UnsupportedError

VcovKind = Literal["model", "hc0", "hc1", "hc2", "hc3", "cluster", "survey", "bootstrap"]
VCOV_KINDS: tuple[str, ...] = get_args(VcovKind)


@dataclass(frozen=True)
class SurveyDesign:
    """Weights, clusters (PSUs) and strata for ``n`` respondents (``None`` = absent).

    ``cluster`` and ``strata`` are integer codes 0..G-1; ``weights`` are probability
    (sampling) weights, positive and finite.
    """

    n: int
    weights: np.ndarray | None = None
    cluster: np.ndarray | None = None
    strata: np.ndarray | None = None

    @property
    def w(self) -> np.ndarray:
        return np.ones(self.n) if self.weights is None else self.weights

    def subset(self, idx: np.ndarray) -> SurveyDesign:
        """The design restricted to rows ``idx`` (positions or a boolean mask)."""

        def pick(a):
            return None if a is None else a[idx]

        n = int(np.count_nonzero(idx)) if np.asarray(idx).dtype == bool else len(idx)
        return SurveyDesign(n, pick(self.weights), pick(self.cluster), pick(self.strata))

    def default_kind(self) -> VcovKind:
        """The variance a survey statistician expects for this design."""
        if self.strata is not None:
            return "survey"
        if self.cluster is not None:
            return "cluster"
        return "model"


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class VarianceKind:
    """A kind of variance estimator: its name, other spellings accepted for it, a one-line
    description for help texts, the design columns it cannot do without (``needs``) and
    those it accounts for (``uses``: a given column outside ``uses`` would be ignored)."""

    name: str
    description: str
    aliases: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()
    limitation: str = ""  # why an estimator may not offer it (the usual reason)


_DESIGN = ("weights", "cluster", "strata")

#: every variance kind unspoken knows, in the order help texts list them
VARIANCE_KINDS: dict[str, VarianceKind] = {
    k.name: k
    for k in (
        VarianceKind(
            "model",
            "the model's own, the inverse of the information matrix",
            ("information",),
        ),
        VarianceKind(
            "opg",
            "outer product of the score vectors, R rrreg's and ictreg.joint's",
            ("outer-product",),
            limitation="the outer product of gradients is offered for rr_regression and "
            "list_joint only",
        ),
        VarianceKind("hc0", "robust sandwich, White's HC0", (), (), ("weights",)),
        VarianceKind("hc1", "robust sandwich times n/(n-k), HC1", (), (), ("weights",)),
        VarianceKind(
            "hc2",
            "robust with leverage adjustment, HC2 (linear models)",
            (),
            (),
            ("weights",),
            "the leverage adjustments need leverages: linear models only",
        ),
        VarianceKind(
            "hc3",
            "robust with leverage adjustment, HC3 (linear models)",
            (),
            (),
            ("weights",),
            "the leverage adjustments need leverages: linear models only",
        ),
        VarianceKind(
            "cluster",
            "cluster-robust, needs a cluster column",
            ("clustered",),
            ("cluster",),
            ("weights", "cluster"),
        ),
        VarianceKind(
            "survey",
            "Taylor linearisation with weights, clusters and strata (as R survey)",
            ("taylor", "linearisation", "linearization"),
            (),
            _DESIGN,
        ),
        VarianceKind(
            "bootstrap",
            "refits on resampled respondents, or clusters within strata",
            ("boot",),
            (),
            _DESIGN,
        ),
    )
}

_ALIASES: dict[str, str] = {
    a.lower(): k.name for k in VARIANCE_KINDS.values() for a in (k.name, *k.aliases)
}


@dataclass(frozen=True)
class VcovOffer:
    """The variance kinds an estimator offers (registry order) and its usual one."""

    kinds: tuple[str, ...]
    default: str


_ALL_LIST = ("model", "hc0", "hc1", "hc2", "hc3", "cluster", "survey", "bootstrap")
_NO_LEVERAGE = ("model", "hc0", "hc1", "cluster", "survey", "bootstrap")
_ROBUST = ("hc0", "hc1", "cluster", "survey", "bootstrap")
_CLOSED_FORM_RR = ("model", "hc0", "hc1", "cluster", "survey")

#: what each estimator offers, by the name :func:`resolve_vcov`'s callers and the CLI use
VCOV_OFFERS: dict[str, VcovOffer] = {
    "list:dim": VcovOffer(_ALL_LIST, "hc2"),
    "list:lm": VcovOffer(_ALL_LIST, "hc3"),
    "list:nls": VcovOffer(_ROBUST, "hc0"),
    "list:ml": VcovOffer(_NO_LEVERAGE, "model"),
    "multi:lm": VcovOffer(_ALL_LIST, "hc3"),
    "multi:nls": VcovOffer(_ROBUST, "hc0"),
    "multi:ml": VcovOffer(_NO_LEVERAGE, "model"),
    "variant": VcovOffer(_NO_LEVERAGE, "model"),
    "double": VcovOffer(_ROBUST, "hc0"),
    "list:joint": VcovOffer(("model", "opg", *_ROBUST), "model"),
    "rr": VcovOffer(("model", "opg", *_ROBUST), "model"),
    "rr_prevalence": VcovOffer(_CLOSED_FORM_RR, "model"),
    "rr_predictor": VcovOffer(_CLOSED_FORM_RR, "model"),
    "direct": VcovOffer(("survey", "hc0"), "survey"),
    "gap": VcovOffer(("survey", "hc0"), "survey"),
}


def offered(*estimators: str) -> tuple[str, ...]:
    """The kinds any of ``estimators`` (keys of :data:`VCOV_OFFERS`, or a prefix such as
    ``"list"``) offers, in registry order: the choices of a command's ``--vcov``."""
    keys = [k for k in VCOV_OFFERS for e in estimators if k == e or k.startswith(e + ":")]
    if not keys:
        raise KeyError(f"no estimator {estimators!r} in VCOV_OFFERS")
    have = {v for k in keys for v in VCOV_OFFERS[k].kinds}
    return tuple(k for k in VARIANCE_KINDS if k in have)


def variance_kind(name: str) -> VarianceKind | None:
    """The kind called ``name`` (or one of its aliases, any case); ``None`` if unknown."""
    key = _ALIASES.get(name.lower()) if isinstance(name, str) else None
    return None if key is None else VARIANCE_KINDS[key]


def vcov_help(kinds: Sequence[str], default: str = "") -> str:
    """A help text listing ``kinds`` with their descriptions (for ``--vcov`` and forms)."""
    listed = "; ".join(f"{k}: {VARIANCE_KINDS[k].description}" for k in kinds)
    return f"Variance estimator ({listed}).{' ' + default if default else ''}"


def _quoted(kinds: Sequence[str]) -> str:
    q = [f"'{k}'" for k in kinds]
    return q[0] if len(q) == 1 else ", ".join(q[:-1]) + " or " + q[-1]


def _refuse(message: str, param: str) -> UnsupportedError:
    return UnsupportedError(message, param=param)


def check_vcov_name(
    requested: str,
    supported: Sequence[str],
    estimator: str = "this estimator",
    why: dict[str, str] | None = None,
    param: str = "vcov",
) -> str:
    """The registry name of ``requested`` (a name or alias, any case) when the estimator
    offers it (``supported``); else an :class:`UnsupportedError` with ``param`` saying
    why (``why[kind]`` or the kind's usual reason). The one place these messages are made."""
    kind = variance_kind(requested)
    if kind is None:
        raise _refuse(
            f"unknown {param} {requested!r}; the variance estimators here are "
            f"{', '.join(supported)}",
            param,
        )
    if kind.name not in supported:
        reason = (why or {}).get(kind.name) or kind.limitation
        raise _refuse(
            f"{param}='{kind.name}' is not available for {estimator}"
            + (f": {reason}" if reason else "")
            + f"; choose one of {', '.join(supported)}",
            param,
        )
    return kind.name


def resolve_vcov(
    requested: str | None,
    design: SurveyDesign,
    supported: Sequence[str],
    default: str,
    notes: list[str] | None = None,
    *,
    estimator: str = "this estimator",
    why: dict[str, str] | None = None,
    weighted_default: str = "hc0",
    ignored: Literal["error", "note"] = "error",
    frequency_weights: bool = False,
    param: str = "vcov",
) -> str:
    """The variance kind an estimator uses: ``requested`` (a name or alias, ``None`` for
    the default) checked against the kinds the estimator ``supported`` and the design.

    Default: strata -> ``"survey"``; a cluster column -> ``"cluster"`` (``"survey"`` with
    weights when ``weighted_default`` is ``"survey"``); probability weights turn a
    model-based ``default`` into ``weighted_default``; else ``default``. Refused (an
    :class:`UnsupportedError` with ``param``): an unknown name, a kind the estimator does
    not offer (``why[kind]`` or the kind's usual reason says why), a kind without the
    column it needs, a kind that ignores probability weights (unless the estimator reads
    them as frequency weights, ``frequency_weights``), and one that ignores a given
    cluster or strata column (``ignored="note"``: a note instead). ``estimator`` names
    the estimator in messages (e.g. ``"method='ml'"``).
    """
    weighted = design.weights is not None
    if requested is None:
        if design.strata is not None:
            return "survey"
        if design.cluster is not None:
            return "survey" if weighted and weighted_default == "survey" else "cluster"
        if weighted and default == "model":
            if notes is not None and weighted_default == "hc0":
                notes.append(
                    "probability weights: the model-based (inverse information) variance does "
                    "not apply, so the robust sandwich (hc0) is used"
                )
            return weighted_default
        return default
    kind = VARIANCE_KINDS[check_vcov_name(requested, supported, estimator, why, param)]
    name = kind.name
    for col in kind.needs:
        if getattr(design, col) is None:
            raise _refuse(f"{param}='{name}' needs a {col} column ({col}=...)", param)
    if weighted and "weights" not in kind.uses and not frequency_weights:
        alts = [k for k in supported if "weights" in VARIANCE_KINDS[k].uses]
        raise _refuse(
            f"{param}='{name}' ignores the sampling design of probability weights and is "
            f"wrong with weights; use {_quoted(alts)}",
            param,
        )
    for col, what, it in (
        ("strata", "strata were", "them"),
        ("cluster", "a cluster column was", "it"),
    ):
        if getattr(design, col) is not None and col not in kind.uses:
            alts = [k for k in supported if col in VARIANCE_KINDS[k].uses]
            text = f"{what} given, but {param}='{name}' ignores {it}; use {_quoted(alts)}"
            if ignored == "error":
                raise _refuse(text, param)
            if notes is not None:
                notes.append(text)
    return name


def resolve_offered_vcov(
    key: str,
    requested: str | None,
    design: SurveyDesign,
    notes: list[str] | None = None,
    /,
    **options: Any,
) -> str:
    """:func:`resolve_vcov` with the kinds and the default that :data:`VCOV_OFFERS` offers
    under ``key``; ``options`` as for :func:`resolve_vcov`."""
    offer = VCOV_OFFERS[key]
    return resolve_vcov(requested, design, offer.kinds, offer.default, notes, **options)


_SINGLE_CLUSTER = (
    "column '{col}' (cluster) holds a single cluster, so the variance between clusters "
    "cannot be estimated; leave cluster out or check the column"
)


def survey_design(
    df: pd.DataFrame,
    weights: str | None = None,
    cluster: str | None = None,
    strata: str | None = None,
) -> SurveyDesign:
    """Read weights/cluster/strata columns of ``df`` (already free of missing values)."""
    n = len(df)
    w = None
    if weights is not None:
        if weights not in df.columns:
            raise DataError(f"weights column '{weights}' is not in the data", column=weights)
        w = pd.to_numeric(df[weights], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(w) | (w <= 0)
        if bad.any():
            raise DataError(
                "weights must be positive finite numbers", column=weights, rows=np.flatnonzero(bad)
            )

    def codes(col: str | None, role: str) -> np.ndarray | None:
        if col is None:
            return None
        if col not in df.columns:
            raise DataError(f"{role} column '{col}' is not in the data", column=col)
        out = pd.factorize(df[col], sort=True)[0].astype(np.int64)
        if role == "cluster" and len(out) and out.max() < 1:
            raise DataError(_SINGLE_CLUSTER.format(col=col), column=col)
        return out

    return SurveyDesign(n, w, codes(cluster, "cluster"), codes(strata, "strata"))


def _group_sums(psi: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Sum rows of ``psi`` within groups given by integer ``codes`` (vectorised)."""
    G = int(codes.max()) + 1
    out = np.zeros((G, psi.shape[1]))
    np.add.at(out, codes, psi)
    return out


def vcov_from_influence(
    psi: np.ndarray,
    kind: VcovKind = "hc0",
    design: SurveyDesign | None = None,
    n_params: int | None = None,
    leverage: np.ndarray | None = None,
) -> np.ndarray:
    """Covariance of ``sum_i psi_i`` by the estimator ``kind`` (see module docstring).

    ``psi`` is ``(n, k)`` (or ``(n,)`` for a scalar). ``n_params`` is ``k`` for the HC1
    small-sample factor (defaults to the number of columns of ``psi``).
    """
    psi = np.asarray(psi, dtype=float)
    scalar = psi.ndim == 1
    if scalar:
        psi = psi[:, None]
    n, k = psi.shape
    if kind not in VCOV_KINDS:
        raise UnsupportedError(f"unknown variance '{kind}'; choose one of {', '.join(VCOV_KINDS)}")
    if kind in ("model", "bootstrap"):
        raise UnsupportedError(f"variance '{kind}' is not computed from influence values")
    if kind in ("hc2", "hc3"):
        if leverage is None:
            raise UnsupportedError(f"variance '{kind}' needs leverages (linear models only)")
        power = 0.5 if kind == "hc2" else 1.0
        lev = np.asarray(leverage, dtype=float)
        alone = np.flatnonzero(lev > 1.0 - 1e-10)
        if alone.size:
            raise DataError(
                f"variance '{kind}' divides by 1 - leverage, but {alone.size} row"
                f"{'s have' if alone.size > 1 else ' has'} leverage 1 (a row that alone "
                "determines a coefficient, e.g. the only respondent of a category in one arm): "
                "the variance is undefined. Use vcov='hc1' or 'hc0', or merge rare categories "
                "(rows are 0-based positions among the rows the model used)",
                rows=alone,
            )
        psi = psi / (1.0 - lev)[:, None] ** power
        kind = "hc0"
    if kind in ("hc0", "hc1"):
        V = psi.T @ psi
        if kind == "hc1":
            p = k if n_params is None else n_params
            V *= n / (n - p)
    elif kind == "cluster":
        if design is None or design.cluster is None:
            raise UnsupportedError("variance 'cluster' needs a cluster column")
        Z = _group_sums(psi, design.cluster)
        G = Z.shape[0]
        if G < 2:
            raise DataError("cluster-robust variance needs at least two clusters")
        V = G / (G - 1) * (Z.T @ Z)
    else:  # survey
        if design is None:
            raise UnsupportedError("variance 'survey' needs a survey design")
        V = _survey_vcov(psi, design)
    return V[0, 0] if scalar else V


def _survey_vcov(psi: np.ndarray, design: SurveyDesign) -> np.ndarray:
    """Stratified with-replacement Taylor variance: PSU totals centred within strata."""
    n = psi.shape[0]
    psu = design.cluster if design.cluster is not None else np.arange(n)
    strata = design.strata if design.strata is not None else np.zeros(n, dtype=np.int64)
    # PSU ids unique within strata
    key = pd.factorize(pd.MultiIndex.from_arrays([strata, psu]))[0]
    Z = _group_sums(psi, key)
    psu_stratum = np.zeros(Z.shape[0], dtype=np.int64)
    psu_stratum[key] = strata
    n_h = np.bincount(psu_stratum)
    if np.any(n_h[np.unique(psu_stratum)] < 2):
        lonely = np.flatnonzero(n_h == 1)
        raise DataError(
            f"{len(lonely)} stratum/strata have a single PSU, so their variance cannot be "
            "estimated; merge them with a neighbouring stratum"
        )
    means = _group_sums(Z, psu_stratum) / n_h[:, None]
    D = Z - means[psu_stratum]
    scale = (n_h / (n_h - 1.0))[psu_stratum]
    return (D * scale[:, None]).T @ D


def sandwich_influence(scores: np.ndarray, bread_inv: np.ndarray) -> np.ndarray:
    """Influence values of an M-estimator: ``psi_i = H^{-1} s_i`` for score rows ``s_i``
    (``H`` the Hessian of the negative objective; ``bread_inv`` its inverse)."""
    return np.asarray(scores) @ np.asarray(bread_inv).T


def _whole_number(value: object) -> int | None:
    """``value`` as an int when it is a whole number (not a bool or text), else ``None``."""
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating) and np.isfinite(value) and float(value).is_integer():
        return int(value)
    return None


def check_seed(seed: object) -> int | np.random.Generator | np.random.SeedSequence | None:
    """A random seed as numpy takes it: ``None``, a whole number >= 0 or a numpy
    ``Generator``/``SeedSequence`` (:class:`UnsupportedError` otherwise)."""
    if seed is None or isinstance(seed, np.random.Generator | np.random.SeedSequence):
        return seed
    k = _whole_number(seed)
    if k is None or k < 0:
        raise UnsupportedError(f"seed must be a whole number >= 0 (or None), not {seed!r}")
    return k
