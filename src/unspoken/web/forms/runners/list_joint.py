"""The runner of the joint list/outcome form (:func:`unspoken.list_joint`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from unspoken.web.forms.runners.common import formula, inference, survey


def run_list_joint(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.listexp.joint import list_joint

    return list_joint(
        df,
        formula(v["outcome"], v["covariates"]),
        treat=v["treat"],
        J=v["J"],
        outcome=v["response"],
        outcome_model=v["response_model"],
        constrained=not v["unconstrained"],
        **survey(v),
        **inference(v),
        by=v["by"],
        min_n=v["min_n"],
    )
