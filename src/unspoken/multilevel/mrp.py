"""Multilevel regression and poststratification in one call: :func:`mrp` (issue 14, items 3
and 5).

``mrp`` fits :func:`unspoken.multilevel_list` (the list experiment, and the direct question
when ``direct`` is given), poststratifies it with :func:`unspoken.poststratify` and, when an
area-level ``indicator`` is named, correlates the areas' estimates with it
(:func:`unspoken.multilevel.indicator.indicator_correlation`). It computes nothing of its own:
the statistics are in those functions' modules. Its result, :class:`MRPResult`, holds the
three parts and renders them as one report.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from unspoken.errors import UnsupportedError
from unspoken.results import ResultMixin, group_text

if TYPE_CHECKING:
    from unspoken.multilevel.results import MultilevelListFit, PoststratifiedFit
    from unspoken.report.view import View

__all__ = ["MRPResult", "mrp"]

#: the quantities an area-level indicator can be correlated with
INDICATOR_QUANTITIES = ("hidden", "direct", "gap")


@dataclass
class MRPResult(ResultMixin):
    """Multilevel regression and poststratification: the multilevel ``fit``
    (:class:`~unspoken.multilevel.results.MultilevelListFit`), its ``poststratified`` area
    and national estimates (:class:`~unspoken.multilevel.results.PoststratifiedFit`) and,
    when an area-level indicator was given, its correlation with the area estimates
    (``indicator``, else ``None``)."""

    fit: MultilevelListFit
    poststratified: PoststratifiedFit
    indicator: Any = None

    @property
    def level(self) -> float:
        return self.fit.level

    @property
    def notes(self) -> list[str]:
        """The parts' notes, each once."""
        parts = [self.fit, self.poststratified, self.indicator]
        return list(dict.fromkeys(n for p in parts if p is not None for n in p.notes))

    def _parts(self) -> list[tuple[str, Any]]:
        out = [("fit", self.fit), ("poststratified", self.poststratified)]
        return out + ([("indicator", self.indicator)] if self.indicator is not None else [])

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """The parts' ``tidy()`` tables one under the other, each ``part`` prefixed with the
        part of the result it comes from (``fit: sensitive``, ``poststratified``,
        ``indicator: ...``)."""
        frames = []
        for name, res in self._parts():
            t = res.tidy(level)
            t["part"] = [p if p == name else f"{name}: {p}" for p in t["part"]]
            frames.append(t)
        out = pd.concat(frames, ignore_index=True)
        if "group" not in out:
            return out
        out["group"] = out["group"].fillna(group_text(None))  # a part without groups
        return out[["group"] + [c for c in out.columns if c != "group"]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": "multilevel regression and poststratification (MRP)",
            "fit": self.fit.to_dict(),
            "poststratified": self.poststratified.to_dict(),
            "indicator": None if self.indicator is None else self.indicator.to_dict(),
        }

    def view(self) -> View:
        from unspoken.report.views.multilevel import mrp_view

        return mrp_view(self)

    def plot(self, path: Any = None) -> Any:
        """The caterpillar plot of the poststratified area estimates with the national
        line."""
        return self.poststratified.plot(path)


def _accepts(fn: Any) -> set[str]:
    return set(inspect.signature(fn).parameters)


def _given(fn: Any, what: str, **kwargs: Any) -> dict[str, Any]:
    """The keyword arguments that were given (not ``None``); one that ``fn`` does not accept
    is refused naming it."""
    accepted = _accepts(fn)
    out = {}
    for k, v in kwargs.items():
        if v is None:
            continue
        if k not in accepted:
            raise UnsupportedError(f"{what} takes no {k}=: leave it out", param=k)
        out[k] = v
    return out


def mrp(
    data: Any,
    formula: str,
    treat: str,
    J: int | None = None,
    area: str | None = None,
    *,
    population: Any,
    count: str,
    direct: str | None = None,
    support: Any = None,
    dk: str = "no",
    dk_values: Any = None,
    area_data: Any = None,
    area_formula: str | None = None,
    indicator: str | None = None,
    indicator_quantity: str = "hidden",
    method: str = "laplace",
    level: float = 0.95,
    min_n: int = 30,
    control: Any = None,
    missing: str = "listwise",
    seed: int | None = None,
    **fit_options: Any,
) -> MRPResult:
    """Hidden opinion area by area: multilevel regression and poststratification (MRP).

    Fits :func:`unspoken.multilevel_list` (``formula``, ``treat``, ``J``, ``area``,
    ``area_formula``, ``method``, ``control``, ``level``, ``missing``, ``min_n``; the direct
    question with ``direct``, ``support``, ``dk``, ``dk_values``; area-level columns from
    ``area_data``, one row per area; ``fit_options`` such as ``nodes``, ``draws`` or
    ``chains`` passed on), poststratifies it over ``population`` (a frame or a CSV/Parquet
    path: one row per cell with the area, the model's covariates and ``count`` people) with
    :func:`unspoken.poststratify`, and, with ``indicator`` (an area-level column, e.g. a
    behavioural measure per region), correlates the areas' ``indicator_quantity``
    ("hidden", "direct" or "gap") with it. Returns an :class:`MRPResult`.
    """
    from unspoken.multilevel.fit import multilevel_list
    from unspoken.multilevel.poststratify import poststratify

    if indicator_quantity not in INDICATOR_QUANTITIES:
        raise UnsupportedError(
            f"indicator_quantity must be one of {list(INDICATOR_QUANTITIES)}, not "
            f"{indicator_quantity!r}",
            param="indicator_quantity",
        )
    if indicator is None and indicator_quantity != "hidden":
        raise UnsupportedError(
            f"indicator_quantity={indicator_quantity!r} says what to correlate with an "
            "area-level indicator: give indicator=COLUMN too, or leave it out",
            param="indicator_quantity",
        )
    if indicator_quantity != "hidden" and direct is None:
        raise UnsupportedError(
            f"indicator_quantity={indicator_quantity!r} needs the direct question: give "
            "direct=COLUMN",
            param="indicator_quantity",
        )
    if dk not in ("no", "drop"):
        raise UnsupportedError(
            f"dk must be 'no' (don't know counts as no support) or 'drop' in a multilevel "
            f"model, not {dk!r}",
            param="dk",
        )
    if direct is None:
        given = {"support": support is not None, "dk_values": dk_values is not None}
        for name in [k for k, v in {**given, "dk": dk != "no"}.items() if v]:
            raise UnsupportedError(
                f"{name}= describes the answers to the direct question: give direct=COLUMN "
                "too, or leave it out",
                param=name,
            )
    optional = _given(
        multilevel_list,
        "multilevel_list",
        direct=direct,
        support=support,
        dk=None if direct is None else dk,
        dk_values=dk_values,
        area_data=area_data,
        seed=seed if method == "bayes" else None,
        **fit_options,
    )
    fit = multilevel_list(
        data,
        formula,
        treat,
        J,
        area,
        area_formula=area_formula,
        method=method,
        control=control,
        level=level,
        missing=missing,
        min_n=min_n,
        **optional,
    )
    if area_data is not None:
        population, area_data = _with_area_columns(population, area, area_data)
    ps = poststratify(fit, population, count=count)
    corr = None
    if indicator is not None:
        corr = _indicator(fit, indicator, area_data, indicator_quantity, seed, level)
    return MRPResult(fit, ps, corr)


def _table(x: Any) -> pd.DataFrame:
    from unspoken.io.frames import to_pandas
    from unspoken.io.readers import read_data

    if isinstance(x, str) or hasattr(x, "__fspath__"):
        return read_data(x)
    return to_pandas(x)  # a copy: the user's frame is never modified


def _with_area_columns(population: Any, area: Any, area_data: Any) -> tuple[Any, Any]:
    """The population table with the columns of ``area_data`` it lacks, joined on the area
    (so that areas the survey did not have find their area-level predictors there), and
    the area table read once."""
    ad, pop = _table(area_data), _table(population)
    if not isinstance(area, str) or area not in ad.columns or area not in pop.columns:
        return pop, ad  # the fit or poststratify names what is missing
    key = ad[area].astype(str)
    if key.duplicated().any():
        return pop, ad  # refused by the fit, naming the rows
    extra = ad.drop(columns=area).set_axis(key.to_numpy())
    where = pop[area].astype(str)
    for c in extra.columns:
        if c not in pop.columns:
            pop[c] = where.map(extra[c]).to_numpy()
    return pop, ad


def _indicator(
    fit: Any, indicator: str, area_data: Any, quantity: str, seed: int | None, level: float
) -> Any:
    from unspoken.multilevel.indicator import indicator_correlation

    kwargs: dict[str, Any] = {"area_data": area_data, "quantity": quantity, "level": level}
    if seed is not None:
        kwargs["seed"] = seed
    return indicator_correlation(fit, indicator, **kwargs)
