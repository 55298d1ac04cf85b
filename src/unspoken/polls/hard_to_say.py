"""How much of the spread between pollsters is the size of their "hard to say" category?

Pollster ``j`` reports approval among all respondents, ``a_j = p_j (1 - d_j)``, where ``p_j``
is approval among those with an opinion and ``d_j`` its "hard to say" share. Around the
averages ``p_bar`` (decided-scale trend, averaged over the polled periods) and ``d_bar``
(mean over pollsters of their mean "hard to say" share),

    a_j - a_bar  ~  (1 - d_bar) (p_j - p_bar)  -  p_bar (d_j - d_bar).

The first term is the house effect on the decided scale, put into all-respondent points;
the second is the part due to the "hard to say" share alone. Both models are fitted with
sum-to-zero house effects. The share of the between-pollster variance explained by "hard to
say" is ``1 - sum_j [(1 - d_bar) h_j^dec]^2 / sum_j (h_j^all)^2``; it is negative when the
pollsters differ *more* among those with an opinion (the "hard to say" shares then mask, rather
than create, differences). The decomposition is first order: the two parts need not add up to
``h_j^all`` exactly.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from unspoken.errors import UnsupportedError
from unspoken.keywords import old_names, spread_options
from unspoken.polls.data import PollDataWarning, _load, prepare_polls
from unspoken.polls.fit import fit_prepared_polls
from unspoken.polls.options import PollColumns, PollFit
from unspoken.report.view import View
from unspoken.results import Estimate, ResultMixin, tidy_frame


@dataclass
class HardToSayComparison(ResultMixin):
    table: pd.DataFrame  # per pollster
    explained: float  # share of the between-pollster variance explained by "hard to say"
    p_bar: float
    d_bar: float
    units: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "explained_share": self.explained,
            "decided_mean": self.p_bar,
            "hard_to_say_mean": self.d_bar,
            "pollsters": self.table.to_dict(orient="records"),
        }

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """The standard columns: a row per pollster for its house effect among all
        respondents (part ``house_all``) and among those with an opinion (``house_decided``),
        in the units of the shares, with Wald intervals (95%, or ``level``)."""
        t = self.table
        rows = [
            {"part": part, "term": str(who), "estimate": Estimate.from_se(e, se)}
            for part in ("house_all", "house_decided")
            for who, e, se in zip(t["pollster"], t[part], t[f"{part}_se"], strict=True)
        ]
        return tidy_frame(rows, level, 0.95)

    def view(self) -> View:
        from unspoken.report.view import hard_to_say_view

        return hard_to_say_view(self)


@old_names(dk="dk_share")
@spread_options(columns=PollColumns, settings=PollFit)
def compare_house_effects(
    data: Any, all_fit: Any = None, *, columns: PollColumns, settings: PollFit
) -> HardToSayComparison:
    """Fit the model on both scales (sum-to-zero) and decompose the house effects.

    The keyword arguments are :func:`~unspoken.polls.fit_polls`'s (``share``, ``pollster``,
    ``dk_share``, dates, sample sizes, ``period``, ...; ``scale``, ``duplicates`` and the
    anchor are set here); ``all_fit`` may pass an existing sum-to-zero fit on the share of
    all respondents, which is then not refitted.
    """
    raw = _load(data)  # read once for both scales
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PollDataWarning)
        if all_fit is None:  # what fit_polls(scale="all", anchor="sum-to-zero") does, minus
            # the comparison (fit_polls imports this module, so it is not called from here)
            polls_all = prepare_polls(raw, c=columns.replace(scale="all", duplicates="keep"))
            all_fit = fit_prepared_polls(polls_all, "sum-to-zero", settings)
        # the decided-scale polls serve both the fit and the mean "hard to say" per pollster
        pp = prepare_polls(raw, c=columns.replace(scale="decided", duplicates="keep"))
    if len(all_fit.house_effects) < 2:
        raise UnsupportedError(
            "comparing house effects on the two scales needs two or more pollsters; the data "
            f"have one ({all_fit.house_effects['pollster'].iloc[0]})",
            param="compare_scales",
        )
    dec_fit = fit_prepared_polls(pp, "sum-to-zero", settings)
    f = all_fit.factor
    dk_mean = pp.table.groupby("pollster")["dk"].mean().reindex(all_fit.house_effects["pollster"])
    d = dk_mean.to_numpy()
    d_bar = float(np.mean(d))
    p_bar = float(dec_fit.polls["trend"].mean()) / f
    h_all = all_fit.house_effects["estimate"].to_numpy()
    h_dec = dec_fit.house_effects["estimate"].to_numpy()
    h_dec_conv = (1 - d_bar) * h_dec
    dk_part = -p_bar * (d - d_bar) * f
    table = pd.DataFrame(
        {
            "pollster": all_fit.house_effects["pollster"].to_numpy(),
            "hard_to_say_mean": d * f,
            "house_all": h_all,
            "house_all_se": all_fit.house_effects["std_error"].to_numpy(),
            "house_decided": h_dec,
            "house_decided_se": dec_fit.house_effects["std_error"].to_numpy(),
            "decided_part": h_dec_conv,
            "hard_to_say_part": dk_part,
        }
    )
    denom = float(np.sum(h_all**2))
    explained = 1.0 - float(np.sum(h_dec_conv**2)) / denom if denom > 0 else float("nan")
    return HardToSayComparison(table, explained, p_bar * f, d_bar * f, all_fit.units)
