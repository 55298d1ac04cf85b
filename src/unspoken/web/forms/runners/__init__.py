"""How the checked values of each form become a call of the public API, with the same
arguments the matching CLI command passes: one module per family (:mod:`.listexp`,
:mod:`.gap`, :mod:`.rr`, :mod:`.polls`, :mod:`.power`) on what they share in
:mod:`.common`. A problem only the combination of fields shows raises
:class:`~unspoken.web.forms.fields.FormError` naming the field to change."""

from __future__ import annotations

from unspoken.web.forms.runners.common import formula, rhs
from unspoken.web.forms.runners.gap import placebo_prevalence, run_direct, run_gap
from unspoken.web.forms.runners.list_joint import run_list_joint
from unspoken.web.forms.runners.listexp import (
    run_combined,
    run_design_test,
    run_list,
    run_list_double,
)
from unspoken.web.forms.runners.mrp import run_mrp
from unspoken.web.forms.runners.polls import anchors, default_n, run_polls
from unspoken.web.forms.runners.power import run_list_power, run_rr_power
from unspoken.web.forms.runners.rr import run_rr
from unspoken.web.forms.runners.tables import run_table_direct, run_table_gap, run_table_list

__all__ = [
    "anchors",
    "default_n",
    "formula",
    "placebo_prevalence",
    "rhs",
    "run_combined",
    "run_design_test",
    "run_direct",
    "run_gap",
    "run_list",
    "run_list_double",
    "run_list_joint",
    "run_list_power",
    "run_mrp",
    "run_polls",
    "run_rr",
    "run_rr_power",
    "run_table_direct",
    "run_table_gap",
    "run_table_list",
]
