"""Placebo lists: measuring a list experiment's design effect (deflation) and correcting for it.

Design (Frye, Gehlbach, Marquardt & Reuter 2023): besides the control list (J items) and the
sensitive list (J items + the sensitive item), a third random group gets a *placebo list*:
the J control items plus an innocuous item whose prevalence ``pi_P`` is known (e.g. from
official statistics) or measured by asking it directly. If the list format itself lowers
counts (respondents under-report on longer lists, or avoid extreme counts), the placebo
difference in means ``tau_P = ybar_placebo - ybar_control`` falls short of ``pi_P``. The
design effect is

    delta = tau_P - pi_P          (negative: the list deflates),

and, assuming the sensitive list suffers the same additive design effect, the corrected
hidden share and gap are

    hidden* = tau_S - delta,       gap* = hidden* - direct.

Every piece is a (difference of) weighted mean(s), so the influence values of ``tau_P`` and
of a directly measured ``pi_P`` stack with those of the direct and hidden shares and the
corrected gap's variance follows from the same joint covariance. The correction is
additive; it rests on the assumption that the placebo and the sensitive item deflate alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from unspoken.direct.estimator import share_influence
from unspoken.errors import DataError
from unspoken.results import Estimate


@dataclass
class PlaceboList:
    """The placebo arm of a list experiment and the innocuous item's prevalence."""

    y: np.ndarray  # counts over all rows (NaN where no list answer)
    control: np.ndarray  # boolean: control list
    arm: np.ndarray  # boolean: placebo list
    w: np.ndarray
    prevalence: float | None  # known prevalence, or None when measured directly
    direct: np.ndarray | None  # 0/1 direct answers to the placebo item (NaN = not asked)
    direct_column: str | None = None

    @classmethod
    def build(
        cls,
        df: pd.DataFrame,
        y: np.ndarray,
        treat: np.ndarray,
        arm: np.ndarray,
        w: np.ndarray,
        prevalence: float | str,
    ) -> PlaceboList:
        if not arm.any():
            raise DataError("the placebo-list arm is empty")
        if isinstance(prevalence, str):
            from unspoken.io.columns import numeric_column

            d = numeric_column(df, prevalence, role="placebo item, asked directly",
                               allow_missing=True)  # fmt: skip
            bad = ~np.isnan(d) & ~np.isin(d, (0.0, 1.0))
            if bad.any():
                raise DataError(
                    "the directly asked placebo item must be coded 0/1",
                    column=prevalence,
                    rows=np.flatnonzero(bad),
                )
            return cls(y, treat == 0, arm, w, None, d, prevalence)
        return cls(y, treat == 0, arm, w, float(prevalence), None)

    def influence(self, mask: np.ndarray) -> tuple[list[float], np.ndarray, list[str]]:
        """Values and influence columns: placebo-list estimate (and direct placebo share)."""
        y = np.nan_to_num(self.y)
        e1, p1 = share_influence(y, self.w, mask & self.arm)
        e0, p0 = share_influence(y, self.w, mask & self.control)
        values = [float(e1[0] - e0[0])]
        cols = [(p1 - p0)[:, 0]]
        names = ["placebo_list"]
        if self.direct is not None:
            asked = mask & ~np.isnan(self.direct)
            ed, pd_ = share_influence(np.nan_to_num(self.direct), self.w, asked)
            values.append(float(ed[0]))
            cols.append(pd_[:, 0])
            names.append("placebo_direct")
        return values, np.column_stack(cols), names

    def report(
        self,
        lin: Callable[..., Estimate],
        mask: np.ndarray,
        n_hidden: int,
        n_gap: int | None,
        bounds: bool = False,
    ) -> dict[str, Any]:
        """Placebo estimate, its truth, the deflation and the corrected shares; with
        ``bounds`` (dk="bounds") also the corrected gap's lower bound (direct share "upper").

        ``lin(coef, n, const)`` is the estimate ``sum_k coef_k value_k + const`` with its
        variance from the joint covariance of the named quantities.
        """
        n_arm = int((mask & (self.arm | self.control)).sum())
        out: dict[str, Estimate] = {"list": lin({"placebo_list": 1.0}, n_arm)}
        # hidden* = hidden - (placebo_list - pi_P), pi_P known (a constant) or measured
        if self.direct is None:
            p = float(self.prevalence)  # type: ignore[arg-type]
            out["truth"] = Estimate(p, 0.0, p, p)
            out["deflation"] = lin({"placebo_list": 1.0}, n_arm, -p)
            corrected, const = {"hidden": 1.0, "placebo_list": -1.0}, p
        else:
            n_asked = int((mask & ~np.isnan(self.direct)).sum())
            out["truth"] = lin({"placebo_direct": 1.0}, n_asked)
            out["deflation"] = lin({"placebo_list": 1.0, "placebo_direct": -1.0}, n_arm)
            corrected = {"hidden": 1.0, "placebo_list": -1.0, "placebo_direct": 1.0}
            const = 0.0
        out["list_corrected"] = lin(corrected, n_hidden, const)
        out["gap_corrected"] = lin({**corrected, "direct": -1.0}, n_gap, const)
        if bounds:
            out["gap_corrected_lower"] = lin({**corrected, "upper": -1.0}, n_gap, const)
        return out
