"""The list-variant fitters called on a frame, for the tests: the data prepared by
``prepare_multi`` and the options objects built from keyword arguments, as
:func:`unspoken.listexp.variants.fit_variant` does for ``list_experiment``."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from unspoken.listexp import ceiling_floor, errors, multi, overdispersed
from unspoken.listexp.data import MultiData, prepare_multi
from unspoken.listexp.options import ListVariant
from unspoken.options import Design, Inference
from unspoken.results import FitResult

_VARIANT = {f.name for f in fields(ListVariant)}


def _prepare(
    data: Any, formula: str, treat: str, J: int, kw: dict[str, Any], extra: dict | None = None
) -> tuple[MultiData, Inference, ListVariant]:
    design = Design(*(kw.pop(k, None) for k in ("weights", "cluster", "strata")))
    control, missing = kw.pop("control", None), kw.pop("missing", "listwise")
    variant = ListVariant(**{k: kw.pop(k) for k in list(kw) if k in _VARIANT})
    inference = Inference(**kw)
    extra = variant.liar_formulas() if extra is None else extra
    d = prepare_multi(data, formula, treat, J, control, design, missing, extra)
    return d, inference, variant


def fit_multi(
    data: Any, formula: str, treat: str, J: int, method: str = "ml",
    multi_condition: str = "none", start: Any = None, **kw: Any,
) -> FitResult:  # fmt: skip
    d, inference, _ = _prepare(data, formula, treat, J, kw)
    return multi.fit_multi(d, method, multi_condition, inference, start)  # type: ignore[arg-type]


def fit_ceiling_floor(
    data: Any, formula: str, treat: str, J: int, fit: str = "glm", **kw: Any
) -> FitResult:
    d, inference, variant = _prepare(data, formula, treat, J, {**kw, "liar_fit": fit})
    return ceiling_floor.fit_ceiling_floor(d, variant, inference)


def fit_response_error(
    data: Any, formula: str, treat: str, J: int, error: str = "topcoded", method: str = "ml",
    **kw: Any,
) -> FitResult:  # fmt: skip
    d, inference, variant = _prepare(data, formula, treat, J, {**kw, "error": error})
    return errors.fit_response_error(d, variant, inference, method)  # type: ignore[arg-type]


def fit_overdispersed(
    data: Any, formula: str, treat: str, J: int, constrained: bool = True, **kw: Any
) -> FitResult:
    d, inference, _ = _prepare(data, formula, treat, J, kw)
    return overdispersed.fit_overdispersed(d, inference, constrained)
