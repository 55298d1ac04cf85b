"""Options of the list-experiment family, validated once.

:class:`ListVariant` holds the switches of the models beyond the standard design (ceiling /
floor liars, response errors, the robust constraint, overdispersion, the condition of
several sensitive items). :func:`list_inference` builds the shared
:class:`~unspoken.options.Inference` object with the messages the list functions have
always given for a variance name not in the registry or a bad number of bootstrap
resamples.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal

import numpy as np

from unspoken.errors import UnsupportedError
from unspoken.inference.bootstrap import check_bootstrap_reps
from unspoken.inference.covariance import check_vcov_name, variance_kind
from unspoken.options import DEFAULT_BOOTSTRAP_REPS, Design, Inference, _Options, choice

__all__ = [
    "DESIGN",
    "INFERENCE",
    "AuxWeighting",
    "Auxiliary",
    "ErrorKind",
    "LiarFit",
    "ListVariant",
    "MultiCondition",
    "list_inference",
]

LiarFit = Literal["glm", "bayesglm"]
ErrorKind = Literal["none", "topcoded", "topcode", "uniform"]
MultiCondition = Literal["none", "level"]
AuxWeighting = Literal["efficient", "cue"]

#: the defaults of the estimators' options arguments (no survey design; the usual inference)
DESIGN = Design()
INFERENCE = Inference()


@dataclass(frozen=True)
class ListVariant(_Options):
    """The model beyond the standard design that a list fit asks for.

    ``ceiling``/``floor``: liars at the ceiling/floor (Blair & Imai 2012) with their own
    right-hand sides ``ceiling_formula``/``floor_formula``, fitted by plain ML
    (``liar_fit="glm"``) or with R's Cauchy priors (``"bayesglm"``); ``error``: top-coded
    or uniform response errors (Blair, Chou & Imai 2019; R's spelling ``"topcode"`` is
    stored as ``"topcoded"``); ``robust``: the ML prevalence constrained to the difference
    in means; ``overdispersed``: beta-binomial control counts; ``multi_condition``: with
    several sensitive items, ``"level"`` lets each depend on the control count.
    """

    ceiling: bool = False
    floor: bool = False
    ceiling_formula: str = "~ 1"
    floor_formula: str = "~ 1"
    liar_fit: LiarFit = "glm"
    error: ErrorKind = "none"
    robust: bool = False
    overdispersed: bool = False
    multi_condition: MultiCondition = "none"

    def __post_init__(self) -> None:
        choice(self.liar_fit, LiarFit, "liar_fit")
        choice(self.error, ErrorKind, "error")
        choice(self.multi_condition, MultiCondition, "multi_condition")
        if self.error == "topcode":
            object.__setattr__(self, "error", "topcoded")
        for f in fields(self):
            if f.type == "bool":
                object.__setattr__(self, f.name, bool(getattr(self, f.name)))

    @property
    def requested(self) -> bool:
        """Does it ask for any model beyond the standard design?"""
        return (
            self.ceiling
            or self.floor
            or self.error != "none"
            or self.robust
            or self.overdispersed
            or self.multi_condition != "none"
        )

    @property
    def liars(self) -> bool:
        """Ceiling and/or floor liars?"""
        return self.ceiling or self.floor

    def liar_formulas(self) -> dict[str, str]:
        """Right-hand sides of the liar models switched on (floor first)."""
        out = {"floor": self.floor_formula} if self.floor else {}
        return out | ({"ceiling": self.ceiling_formula} if self.ceiling else {})


@dataclass(frozen=True)
class Auxiliary(_Options):
    """Known shares of the sensitive trait by group (Chou, Imai & Rosenfeld 2017).

    ``shares`` maps each value of the column ``group`` to the known share of respondents with
    the trait in that group (each strictly between 0 and 1); without ``group`` it is one
    number (or a one-entry mapping), the known share among everyone. ``weighting``:
    ``"efficient"`` (two-step GMM) or ``"cue"`` (continuously updated). The labels are kept
    as text (``0`` and ``"0"`` are the same group); whether every group is in the data is
    checked against the data (:func:`unspoken.listexp.aux.aux_groups`).
    """

    shares: Any
    group: str | None = None
    weighting: AuxWeighting = "efficient"

    def __post_init__(self) -> None:
        if self.weighting not in ("efficient", "cue"):
            raise UnsupportedError(
                f"aux weighting must be 'efficient' or 'cue', got {self.weighting!r}", param="aux"
            )
        if self.group is not None and not (isinstance(self.group, str) and self.group):
            raise UnsupportedError(
                f"aux group must be a column name, got {self.group!r}", param="aux"
            )
        raw = self.shares
        if not isinstance(raw, Mapping):
            if self.group is not None:
                raise UnsupportedError(
                    f"aux shares must map each value of '{self.group}' to its known share, "
                    f"e.g. {{0: 0.10, 1: 0.30}}; got {raw!r}",
                    param="aux",
                )
            raw = {"all": raw}
        if not raw:
            raise UnsupportedError(
                "aux shares are empty: give at least one known share", param="aux"
            )
        if self.group is None and len(raw) != 1:
            raise UnsupportedError(
                f"aux shares name {len(raw)} groups but no aux group column: give the column "
                "(group=...) or one overall share",
                param="aux",
            )
        out: dict[str, float] = {}
        for key, value in raw.items():
            label = group_label(key)
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok or not 0 < float(value) < 1:
                raise UnsupportedError(
                    f"aux share of group {label!r} must be a number strictly between 0 and 1, "
                    f"got {value!r}",
                    param="aux",
                )
            if label in out:
                raise UnsupportedError(f"aux shares name group {label!r} twice", param="aux")
            out[label] = float(value)
        object.__setattr__(self, "shares", out)

    @classmethod
    def of(cls, value: Any) -> Auxiliary | None:
        """``None``, an :class:`Auxiliary`, or a dict with the keys ``shares``, ``group``
        and ``weighting`` (anything else is refused)."""
        if value is None or isinstance(value, Auxiliary):
            return value
        if not isinstance(value, Mapping):
            raise UnsupportedError(
                "aux must be a dict such as {'group': 'south', 'shares': {0: 0.1, 1: 0.3}}, "
                f"got {type(value).__name__}",
                param="aux",
            )
        unknown = sorted(set(value) - {"shares", "group", "weighting"})
        if unknown or "shares" not in value:
            what = f"unknown key(s) {', '.join(map(repr, unknown))}" if unknown else "no 'shares'"
            raise UnsupportedError(
                f"aux has {what}: it takes 'shares', 'group' and 'weighting'", param="aux"
            )
        return cls(**dict(value))


def group_label(value: Any) -> str:
    """A group value as text, whole numbers without a decimal point (``1.0`` -> ``"1"``)."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def list_inference(
    vcov: str | None = None,
    level: float = 0.95,
    bootstrap_reps: int = DEFAULT_BOOTSTRAP_REPS,
    seed: int | None = None,
    supported: Sequence[str] = (),
) -> Inference:
    """:class:`~unspoken.options.Inference` from the flat arguments, refusing an unknown
    ``vcov`` by the kinds the estimator offers (``supported``) and a bad ``bootstrap_reps``
    by its allowed range, as every list function has always said."""
    if vcov is not None and variance_kind(vcov) is None:
        check_vcov_name(vcov, supported)  # raises, listing the kinds the estimator offers
    try:
        return Inference(vcov, level, bootstrap_reps, seed)
    except UnsupportedError as e:
        if e.param == "bootstrap_reps":
            check_bootstrap_reps(bootstrap_reps)
        raise


#: the default variant of :func:`unspoken.listexp.errors.fit_response_error`
TOPCODED = ListVariant(error="topcoded")
