"""The per-domain context that turns a domain of the prepared data into a GapRow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from unspoken.direct.estimator import design_vcov, share_influence
from unspoken.errors import DataError
from unspoken.falsification.prepared import Prepared
from unspoken.falsification.results import GapRow
from unspoken.inference.delta import delta_se, delta_var
from unspoken.results import Estimate
from unspoken.smallcells import (
    Cell,
    Verdict,
)


@dataclass
class _Context:
    prep: Prepared
    hidden: Any
    direct_model: Any
    dk: str
    vcov: str
    crit: float
    level: float
    min_n: int

    def _counts(self, mask: np.ndarray) -> dict[str, int]:
        p = self.prep
        c: dict[str, int] = {}
        if p.user_hidden is None:
            c["treated"] = int((mask & (p.treat_full == 1)).sum())
            c["control"] = int((mask & (p.treat_full == 0)).sum())
        c["direct"] = int((mask & p.has_direct).sum())
        if p.placebo is not None:
            c["placebo"] = int((mask & p.placebo.arm).sum())
        if p.user_hidden is not None:
            c["hidden"] = int(mask[np.asarray(self.hidden.row_positions)].sum())
        return c

    def cell(self, mask: np.ndarray) -> Cell:
        """The respondents behind a domain's estimates, for the small-cell rule: the hidden
        share's (per list arm) and the direct question's."""
        c = self._counts(mask)
        arms = {k: c[k] for k in ("treated", "control", "placebo") if k in c}
        n = c["hidden"] if "hidden" in c else sum(arms.values())
        return Cell(n, arms, {"direct question": c["direct"]})

    def _est(self, value: float, var: float, n: int | None) -> Estimate:
        se = float(np.sqrt(max(var, 0.0)))
        return Estimate.from_se(value, se, self.level, n=n, crit=self.crit)

    def row(self, mask: np.ndarray, verdict: Verdict | None = None) -> GapRow:
        """The estimates in the domain ``mask``: a group with the small-cell rule's
        ``verdict`` (suppressed groups are not computed), or the whole sample (``None``)."""
        p = self.prep
        if verdict is not None and not verdict.shown:
            return GapRow(note=verdict.note, suppressed=True, n_text=verdict.n_text)
        counts = self._counts(mask)
        empty = [k for k, v in counts.items() if v == 0]
        if empty:
            small = {k: v for k, v in counts.items() if v < self.min_n}
            what = ", ".join(f"{v} {k}" for k, v in small.items())
            if verdict is None:
                raise DataError(f"nothing to estimate: {what}")
            return GapRow(counts=counts, note=f"nothing to estimate: {what}")
        n_all = p.n
        rp = np.asarray(self.hidden.row_positions, dtype=np.int64)
        h_est, h_psi_own = self.hidden.prevalence_influence(mask[rp])
        h_psi = np.zeros(n_all)
        np.add.at(h_psi, rp, h_psi_own)
        w = p.design.w
        ddom = mask & p.has_direct
        if self.dk == "drop":
            ddom = ddom & ~p.is_dk
        if self.direct_model is not None:
            d_est, d_psi = self.direct_model.share_influence(ddom)
            d_est = np.array([d_est])
            d_psi = d_psi[:, None]
        else:
            d_est, d_psi = share_influence(p.support, w, ddom)
        cols = [d_psi[:, 0], h_psi]
        names = ["direct", "hidden"]
        values = [float(d_est[0]), float(h_est)]
        dd = mask & p.has_direct
        if p.dk_idx:
            k_est, k_psi = share_influence(p.is_dk.astype(float), w, dd)
            cols.append(k_psi[:, 0])
            names.append("dk")
            values.append(float(k_est[0]))
        if self.dk == "bounds":  # method='dim' only (checked in gap)
            u_est, u_psi = share_influence(p.support + p.is_dk, w, dd)
            cols.append(u_psi[:, 0])
            names.append("upper")
            values.append(float(u_est[0]))
        if p.placebo is not None:
            pl_vals, pl_psi, pl_names = p.placebo.influence(mask)
            cols += [pl_psi[:, j] for j in range(pl_psi.shape[1])]
            names += pl_names
            values += list(pl_vals)
        Psi = np.column_stack(cols)
        V = design_vcov(Psi, p.design, self.vcov, "gap")
        idx = {nm: j for j, nm in enumerate(names)}
        val = np.asarray(values)

        def lin(coef: dict[str, float], n: int | None, const: float = 0.0) -> Estimate:
            c = np.zeros(len(names))
            for k, v in coef.items():
                c[idx[k]] = v
            return self._est(float(c @ val) + const, delta_var(c, V), n)

        n_d = int(ddom.sum())
        n_h = counts.get("hidden", counts.get("treated", 0) + counts.get("control", 0))
        row = GapRow(counts=counts)
        row.direct = lin({"direct": 1.0}, n_d)
        row.hidden = lin({"hidden": 1.0}, n_h)
        n_gap = int((mask & (p.has_list | ddom)).sum())
        row.gap = lin({"hidden": 1.0, "direct": -1.0}, n_gap)
        vd, vh, cdh = V[0, 0], V[1, 1], V[0, 1]
        # the gap's s.e. as if the two shares were independent (their covariance set to 0)
        row.gap_se_independent = delta_se(np.array([-1.0, 1.0]), np.diag([vd, vh]))
        row.correlation = float(cdh / np.sqrt(vd * vh)) if vd > 0 and vh > 0 else None
        if "dk" in idx:
            row.dk_share = lin({"dk": 1.0}, int(dd.sum()))
        if "upper" in idx:
            row.direct_upper = lin({"upper": 1.0}, int(dd.sum()))
            row.gap_lower = lin({"hidden": 1.0, "upper": -1.0}, row.gap.n)
        if p.placebo is not None:
            row.placebo = p.placebo.report(lin, mask, n_h, n_gap, bounds="upper" in idx)
        return row
