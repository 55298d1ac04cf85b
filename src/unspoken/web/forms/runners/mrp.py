"""The runner of the MRP form (:func:`unspoken.mrp`), with the arguments the CLI command
``unspoken mrp`` passes."""

from __future__ import annotations

from typing import Any

import pandas as pd

from unspoken.errors import DataError
from unspoken.web.forms.fields import FormError
from unspoken.web.forms.runners.common import formula, level_of, rhs


def run_mrp(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.multilevel.mrp import mrp

    population = v["population"]
    if not v["count"]:
        raise DataError("write the column of the population table with the cell counts.",
                        param="count")  # fmt: skip
    if v["count"] not in population.columns:
        raise DataError(
            f"the population table has no column '{v['count']}'; its columns are "
            f"{', '.join(map(str, population.columns))}.",
            param="count",
        )
    sampler = {k: v[k] for k in ("draws", "warmup", "chains") if v.get(k) is not None}
    if sampler and v["method"] != "bayes":
        raise FormError("used by the full Bayes method only: choose it under Method, or leave "
                        "this empty.", field=next(iter(sampler)))  # fmt: skip
    try:
        return mrp(
            df,
            formula(v["outcome"], v["covariates"]),
            v["treat"],
            J=v["J"],
            area=v["area"],
            population=population,
            count=v["count"],
            direct=v["direct"],
            support=v["support"],
            dk=v["dk"],
            dk_values=v["dk_values"],
            area_data=v["area_data"],
            area_formula=rhs(v["area_formula"], None),
            indicator=v["indicator"],
            indicator_quantity=v["indicator_quantity"],
            method=v["method"],
            level=level_of(v),
            min_n=v["min_n"],
            control=v["control"],
            seed=v["seed"],
            **sampler,
        )
    except DataError as e:
        if e.param is None and "population" in str(e):  # a problem of the population table
            raise DataError(str(e), param="population") from None
        raise
