"""Randomized response designs as objects with their known parameters.

Every design here has a binary observed answer ``Y`` and a binary hidden trait ``Z``, and a
private randomising device makes the answer a known mixture::

    P(Y = 1 | Z = z) = a + b z        (a, b design constants, b != 0)

so ``P(Y = 1) = a + b pi`` for a prevalence ``pi``. That is all the estimators need: the
closed form ``pi_hat = (ybar - a) / b``, the likelihood of the logistic regression of ``Z``
and each respondent's posterior ``P(Z = 1 | y, x)`` are written once in terms of
``pi0 = P(Y=1 | Z=0) = a`` and ``pi1 = P(Y=1 | Z=1) = a + b``.

Designs (answer coding: ``y = 1`` is a "yes" unless said otherwise):

``forced-known``     Boruch (1971). With probability ``p`` answer truthfully, ``p1`` say
                     "yes", ``p0`` say "no" (``p + p0 + p1 = 1``): ``a = p1, b = p``.
``mirrored``         With probability ``p`` answer the question, else its negation
                     (Blair, Imai & Zhou 2015): ``a = 1 - p, b = 2p - 1``.
``disguised``        Kuk (1990)-style card stacks: ``p`` = share of red cards in the "yes"
                     stack, ``1 - p`` in the "no" stack, report the colour (red = 1):
                     ``a = 1 - p, b = 2p - 1``.
``unrelated-known``  Greenberg et al. (1969). With probability ``p`` the sensitive question,
                     else an unrelated one whose "yes" rate ``q`` is known:
                     ``a = (1 - p) q, b = p``.
``warner``           Warner (1965). With probability ``p`` "I have the trait", else "I do
                     not have the trait"; answer true/false: ``a = 1 - p, b = 2p - 1``.
``crosswise``        Yu, Tian & Tang (2008). A sensitive statement and an innocuous one
                     true with known probability ``p``; ``y = 1`` means "both true or both
                     false": ``a = 1 - p, b = 2p - 1``.
``triangular``       Yu, Tian & Tang (2008). ``y = 1`` means "both statements false"
                     (the circle), ``y = 0`` "at least one true": ``a = 1 - p, b = -(1 - p)``.

A design with ``b = 0`` does not identify the trait (``p = 1/2`` for the mirrored, disguised,
Warner and crosswise designs; ``p = 0`` for the forced and unrelated designs) and is refused.

``forced-unknown`` and ``unrelated-unknown`` (:class:`UnknownDesign`, R ``power.rr.test``;
power analysis only): the non-sensitive branch says "yes" with an unknown probability ``q``,
and a second subsample (share ``1 - r``) swaps ``p`` and ``1 - p`` so that ``pi`` and ``q``
are both identified (needs ``p != 1/2``): ``P(Y=1) = p pi + (1-p) q`` in the first subsample
and ``(1-p) pi + p q`` in the second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

from unspoken.errors import UnsupportedError

DesignName = Literal[
    "forced-known", "mirrored", "disguised", "unrelated-known", "crosswise", "triangular", "warner"
]
DESIGN_NAMES: tuple[str, ...] = get_args(DesignName)
#: the designs with an unknown probability, estimated from a second subsample (power only)
UNKNOWN_DESIGN_NAMES: tuple[str, ...] = ("forced-unknown", "unrelated-unknown")

_IDENT_TOL = 1e-8


def _prob(name: str, value: Any, design: str, *, low_open: bool, high_open: bool) -> float:
    """Validate one design probability; ``*_open`` says whether the bound is excluded."""
    if value is None:
        raise UnsupportedError(f"the {design} design needs the parameter {name}", param=name)
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise UnsupportedError(
            f"design parameter {name} must be a number, got {value!r}", param=name
        ) from None
    lo_ok = v > 0 if low_open else v >= 0
    hi_ok = v < 1 if high_open else v <= 1
    if not (math.isfinite(v) and lo_ok and hi_ok):
        rng = f"{'(' if low_open else '['}0, 1{')' if high_open else ']'}"
        raise UnsupportedError(
            f"design parameter {name} = {value!r} of the {design} design must lie in {rng}",
            param=name,
        )
    return v


def _set_prob(design: Any, name: str, *, open_: bool) -> None:
    """Validate the probability ``name`` of the frozen ``design`` (in (0, 1) when ``open_``,
    else in [0, 1]) and store it as a float."""
    value = _prob(name, getattr(design, name), design.name, low_open=open_, high_open=open_)
    object.__setattr__(design, name, value)


def _not_used(design: str, **given: Any) -> None:
    extra = [k for k, v in given.items() if v is not None]
    if extra:
        raise UnsupportedError(
            f"the {design} design does not use the parameter(s) {', '.join(extra)}",
            param=extra[0],
        )


class _Params:
    """``params()``: the design probabilities named in ``param_names``, as floats."""

    param_names: ClassVar[tuple[str, ...]] = ()

    def params(self) -> dict[str, float]:
        return {k: float(getattr(self, k)) for k in self.param_names}


@dataclass(frozen=True)
class RRDesign(_Params):
    """Base class: a binary randomized response design ``P(Y=1 | Z=z) = a + b z``."""

    name: ClassVar[str] = ""
    #: what ``y = 1`` means for this design
    yes_means: ClassVar[str] = "a 'yes' answer"

    @property
    def a(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def b(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def pi0(self) -> float:
        """``P(Y = 1 | Z = 0)``."""
        return self.a

    @property
    def pi1(self) -> float:
        """``P(Y = 1 | Z = 1)``."""
        return self.a + self.b

    @property
    def answer_probs(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """``((P(Y=0|Z=0), P(Y=0|Z=1)), (P(Y=1|Z=0), P(Y=1|Z=1)))``: rows are answers,
        columns the hidden trait."""
        return ((1.0 - self.pi0, 1.0 - self.pi1), (self.pi0, self.pi1))

    def prob_yes(self, prevalence: Any) -> Any:
        """``P(Y = 1) = a + b * prevalence`` (vectorised)."""
        return self.a + self.b * prevalence

    def to_dict(self) -> dict[str, Any]:
        return {"design": self.name, **self.params(), "a": self.a, "b": self.b}

    def _check_identified(self) -> None:
        if abs(self.b) < _IDENT_TOL:
            pars = ", ".join(f"{k} = {v:g}" for k, v in self.params().items())
            raise UnsupportedError(
                f"the {self.name} design with {pars} does not identify the trait: the answer "
                "has the same distribution whether or not a respondent has it "
                f"(P(Y=1 | Z=1) - P(Y=1 | Z=0) = {self.b:g})"
            )

    def describe(self) -> str:
        pars = ", ".join(f"{k} = {v:.4g}" for k, v in self.params().items())
        return (
            f"{self.name} design ({pars}): P(Y=1) = {self.a:.4g} + {self.b:.4g} * prevalence; "
            f"y = 1 is {self.yes_means}"
        )


@dataclass(frozen=True)
class ForcedKnown(RRDesign):
    """Forced response with known probabilities: truthful ``p``, forced "no" ``p0``, forced
    "yes" ``p1`` (``p + p0 + p1 = 1``; give any two). ``P(Y=1) = p1 + p * prevalence``."""

    p: float | None = None
    p0: float | None = None
    p1: float | None = None
    name: ClassVar[str] = "forced-known"
    param_names: ClassVar[tuple[str, ...]] = ("p", "p0", "p1")

    def __post_init__(self) -> None:
        given = {k: getattr(self, k) for k in ("p", "p0", "p1")}
        missing = [k for k, v in given.items() if v is None]
        if len(missing) > 1:
            raise UnsupportedError(
                "the forced-known design needs p (probability of answering truthfully) and "
                "at least one of p0 (forced 'no') and p1 (forced 'yes'); missing: "
                + ", ".join(missing),
                param=missing[0],
            )
        if len(missing) == 1:
            others = sum(float(v) for k, v in given.items() if v is not None)
            object.__setattr__(self, missing[0], 1.0 - others)
        p = _prob("p", self.p, self.name, low_open=True, high_open=True)
        p0 = _prob("p0", self.p0, self.name, low_open=False, high_open=True)
        p1 = _prob("p1", self.p1, self.name, low_open=False, high_open=True)
        if round(p + p0 + p1, 10) != 1:
            raise UnsupportedError(
                f"the forced-known design probabilities must sum to 1: p + p0 + p1 = "
                f"{p:g} + {p0:g} + {p1:g} = {p + p0 + p1:g}"
            )
        object.__setattr__(self, "p", p)
        object.__setattr__(self, "p0", p0)
        object.__setattr__(self, "p1", p1)
        self._check_identified()

    @property
    def a(self) -> float:
        return float(self.p1)  # type: ignore[arg-type]

    @property
    def b(self) -> float:
        return float(self.p)  # type: ignore[arg-type]

    @property
    def pi1(self) -> float:
        # p + p1 = 1 - p0, written so that no rounding pushes it above 1
        return 1.0 - float(self.p0)  # type: ignore[arg-type]


@dataclass(frozen=True)
class _OneP(RRDesign):
    """Designs with one probability ``p`` in (0, 1); ``a = 1 - p`` and, unless overridden,
    ``b = 2p - 1`` (``P(Y=1 | Z=1) = p``)."""

    p: float | None = None
    param_names: ClassVar[tuple[str, ...]] = ("p",)

    def __post_init__(self) -> None:
        _set_prob(self, "p", open_=True)
        self._check_identified()

    @property
    def a(self) -> float:
        return 1.0 - float(self.p)  # type: ignore[arg-type]

    @property
    def b(self) -> float:
        return 2.0 * float(self.p) - 1.0  # type: ignore[arg-type]

    @property
    def pi1(self) -> float:
        return float(self.p)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Mirrored(_OneP):
    """Mirrored question: ``p`` = probability of answering the question (else its negation)."""

    name: ClassVar[str] = "mirrored"


@dataclass(frozen=True)
class Disguised(_OneP):
    """Disguised response: ``p`` = share of red cards in the "yes" stack (red = 1)."""

    name: ClassVar[str] = "disguised"
    yes_means: ClassVar[str] = "a red card (the 'yes' stack colour)"


@dataclass(frozen=True)
class Warner(_OneP):
    """Warner (1965): ``p`` = probability that the statement is "I have the trait"."""

    name: ClassVar[str] = "warner"
    yes_means: ClassVar[str] = "'true' to the statement drawn"


@dataclass(frozen=True)
class Crosswise(_OneP):
    """Crosswise model (Yu, Tian & Tang 2008): ``p`` = probability that the innocuous
    statement is true; ``y = 1`` = "both true or both false"."""

    name: ClassVar[str] = "crosswise"
    yes_means: ClassVar[str] = "'both statements true or both false'"


@dataclass(frozen=True)
class Triangular(_OneP):
    """Triangular model (Yu, Tian & Tang 2008): ``p`` = probability that the innocuous
    statement is true; ``y = 1`` = "both statements false". ``P(Y=1) = (1-p)(1-prevalence)``.
    """

    name: ClassVar[str] = "triangular"
    yes_means: ClassVar[str] = "'both statements false' (the circle)"

    @property
    def b(self) -> float:
        return -(1.0 - float(self.p))  # type: ignore[arg-type]

    @property
    def pi1(self) -> float:
        return 0.0


@dataclass(frozen=True)
class UnrelatedKnown(RRDesign):
    """Unrelated question with known prevalence: ``p`` = probability of the sensitive
    question, ``q`` = known "yes" rate of the unrelated one. ``P(Y=1) = (1-p) q + p pi``."""

    p: float | None = None
    q: float | None = None
    name: ClassVar[str] = "unrelated-known"
    param_names: ClassVar[tuple[str, ...]] = ("p", "q")

    def __post_init__(self) -> None:
        _set_prob(self, "p", open_=True)
        _set_prob(self, "q", open_=False)
        self._check_identified()

    @property
    def a(self) -> float:
        return (1.0 - float(self.p)) * float(self.q)  # type: ignore[arg-type]

    @property
    def b(self) -> float:
        return float(self.p)  # type: ignore[arg-type]


@dataclass(frozen=True)
class UnknownDesign(_Params):
    """A design with an unknown "yes" probability ``q`` of its non-sensitive branch, estimated
    from a second subsample in which the roles of ``p`` and ``1 - p`` are swapped (R ``rr``
    ``power.rr.test`` designs ``forced-unknown`` and ``unrelated-unknown``). Only
    :func:`~unspoken.rr_power` uses it: the regression needs a known ``a + b z`` mixture."""

    name: ClassVar[str] = ""

    @property
    def q_planned(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def q_r(self) -> float:
        """The ``q`` R ``power.rr.test`` uses (it differs only for ``forced-unknown``)."""
        return self.q_planned

    def answer_rates(self, prevalence: Any, q: float) -> tuple[Any, Any]:
        """``P(Y = 1)`` in subsample A (truthful/sensitive with ``p``) and B (``1 - p``)."""
        p = float(self.p)  # type: ignore[attr-defined]
        return p * prevalence + (1 - p) * q, (1 - p) * prevalence + p * q

    def to_dict(self) -> dict[str, Any]:
        return {"design": self.name, **self.params()}

    def describe(self) -> str:
        pars = ", ".join(f"{k} = {v:.4g}" for k, v in self.params().items())
        p = float(self.p)  # type: ignore[attr-defined]
        return (
            f"{self.name} design ({pars}): two subsamples, P(Y=1) = {p:.4g} * prevalence + "
            f"{1 - p:.4g} * q and {1 - p:.4g} * prevalence + {p:.4g} * q, with q unknown "
            f"(planned {self.q_planned:.4g})"
        )

    def _check_p(self) -> None:
        _set_prob(self, "p", open_=True)
        if abs(2 * self.p - 1) < _IDENT_TOL:  # type: ignore[attr-defined]
            raise UnsupportedError(
                f"the {self.name} design with p = 1/2 does not identify the trait: both "
                "subsamples then answer alike, so the prevalence and the unknown q cannot be "
                "told apart",
                param="p",
            )


@dataclass(frozen=True)
class UnrelatedUnknown(UnknownDesign):
    """Unrelated question whose "yes" rate ``q`` is unknown: the sensitive question with
    probability ``p`` in subsample A, ``1 - p`` in B; ``q`` is the planning value."""

    p: float | None = None
    q: float | None = None
    name: ClassVar[str] = "unrelated-unknown"
    param_names: ClassVar[tuple[str, ...]] = ("p", "q")

    def __post_init__(self) -> None:
        self._check_p()
        _set_prob(self, "q", open_=False)

    @property
    def q_planned(self) -> float:
        return float(self.q)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ForcedUnknown(UnknownDesign):
    """Forced response, forced "yes" with unknown probability ``q`` (planned: ``q``, else
    ``p1 / (p0 + p1)``); R only checks ``p0``/``p1`` and takes ``q = 1`` (:attr:`q_r`)."""

    p: float | None = None
    p0: float | None = None
    p1: float | None = None
    q: float | None = None
    name: ClassVar[str] = "forced-unknown"

    def __post_init__(self) -> None:
        self._check_p()
        p = float(self.p)  # type: ignore[arg-type]
        if self.p0 is None and self.p1 is None:
            if self.q is None:
                raise UnsupportedError(
                    "the forced-unknown design needs the planned share q of forced answers "
                    "that are 'yes', or p0 and p1 (forced 'no' and 'yes', p + p0 + p1 = 1)",
                    param="q",
                )
        else:
            p0 = 1 - p - float(self.p1) if self.p0 is None else self.p0  # type: ignore[arg-type]
            p1 = 1 - p - float(p0) if self.p1 is None else self.p1
            p0 = _prob("p0", p0, self.name, low_open=False, high_open=True)
            p1 = _prob("p1", p1, self.name, low_open=False, high_open=True)
            if round(p + p0 + p1, 10) != 1:
                raise UnsupportedError(
                    f"the forced-unknown design probabilities must sum to 1: p + p0 + p1 = "
                    f"{p:g} + {p0:g} + {p1:g} = {p + p0 + p1:g}",
                    param="p0",
                )
            object.__setattr__(self, "p0", p0)
            object.__setattr__(self, "p1", p1)
        if self.q is not None:
            _set_prob(self, "q", open_=False)

    @property
    def q_planned(self) -> float:
        if self.q is not None:
            return float(self.q)
        return float(self.p1) / (float(self.p0) + float(self.p1))  # type: ignore[arg-type]

    @property
    def q_r(self) -> float:
        return 1.0 if self.q is None else float(self.q)

    def params(self) -> dict[str, float]:
        out = {"p": float(self.p)}  # type: ignore[arg-type]
        if self.p0 is not None:
            out.update(p0=float(self.p0), p1=float(self.p1))  # type: ignore[arg-type]
        out["q"] = self.q_planned
        return out


def require_known(design: RRDesign | UnknownDesign, what: str) -> RRDesign:
    """``design``, or :class:`UnsupportedError` naming ``design`` if it is unknown-q."""
    if isinstance(design, UnknownDesign):
        raise UnsupportedError(
            f"design={design.name!r} is supported by rr_power only, not by {what}: its "
            "'yes' probability q is unknown and estimated from a second subsample, and "
            "Blair, Imai & Zhou (2015) give no likelihood for that design with covariates "
            "(R rr's rrreg has none either), nor does the data say which subsample each "
            "respondent was in. Use a design with known probabilities",
            param="design",
        )
    return design


_CLASSES: dict[str, type[RRDesign]] = {
    "forced-known": ForcedKnown,
    "mirrored": Mirrored,
    "disguised": Disguised,
    "unrelated-known": UnrelatedKnown,
    "crosswise": Crosswise,
    "triangular": Triangular,
    "warner": Warner,
}


def make_design(
    design: str | RRDesign | UnknownDesign,
    p: float | None = None,
    p0: float | None = None,
    p1: float | None = None,
    q: float | None = None,
) -> RRDesign | UnknownDesign:
    """A design object from its R ``rr`` name and parameters (or pass a design through).

    Parameters are named as in R ``rr``; for the crosswise and triangular models ``p`` is
    the probability that the innocuous statement is true.
    """
    if isinstance(design, RRDesign | UnknownDesign):
        if any(v is not None for v in (p, p0, p1, q)):
            raise UnsupportedError(
                "give the design parameters either in the design object or as p/p0/p1/q, not both"
            )
        return design
    if design == "forced-unknown":
        return ForcedUnknown(p=p, p0=p0, p1=p1, q=q)
    if design == "unrelated-unknown":
        _not_used(design, p0=p0, p1=p1)
        return UnrelatedUnknown(p=p, q=q)
    if design not in _CLASSES:
        raise UnsupportedError(
            f"unknown randomized response design {design!r}; choose one of "
            + ", ".join(DESIGN_NAMES + UNKNOWN_DESIGN_NAMES)
        )
    if design == "forced-known":
        _not_used(design, q=q)
        return ForcedKnown(p=p, p0=p0, p1=p1)
    if design == "unrelated-known":
        _not_used(design, p0=p0, p1=p1)
        return UnrelatedKnown(p=p, q=q)
    _not_used(design, p0=p0, p1=p1, q=q)
    return _CLASSES[design](p=p)  # type: ignore[call-arg]
