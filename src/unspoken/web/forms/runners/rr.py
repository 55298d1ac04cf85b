"""The randomized-response runner."""

from __future__ import annotations

from typing import Any

import pandas as pd

from unspoken.web.forms.runners.common import check_vcov, formula, inference, pick, survey


def run_rr(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.rr.regression import RR_VCOV, rr_regression

    check_vcov(v, set(RR_VCOV), "randomized response", model_with_weights=True)
    return rr_regression(
        df,
        formula(v["answer"], v["covariates"], field="answer"),
        **pick(v, "design", "p", "p0", "p1", "q", "by", "min_n"),
        **survey(v),
        **inference(v),
    )
