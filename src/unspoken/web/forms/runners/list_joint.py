"""The runner of the joint list/outcome form (:func:`unspoken.list_joint`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from unspoken.web.forms.runners.common import list_fit


def run_list_joint(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.listexp.joint import list_joint

    return list_joint(df, **list_fit(v), outcome=v["response"], outcome_model=v["response_model"])
