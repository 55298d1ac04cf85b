"""The forms of the web page, one per CLI command, assembled into ``ANALYSES``.

Each family's forms live in their own module: :mod:`.listexp` (and :mod:`.list_joint`),
:mod:`.gap`, :mod:`.mrp`, :mod:`.rr`, :mod:`.power`, :mod:`.polls` (fields they share in
:mod:`.shared`),
and the call each form makes in the module of the same name in :mod:`.runners`.
Fields a first run does not need sit under "More options" (``advanced=True``); every form's
defaults run on its ``example`` data set (power forms need no data).
"""

from __future__ import annotations

from unspoken.web.forms.fields import Analysis
from unspoken.web.forms.gap import _DIRECT, _GAP
from unspoken.web.forms.list_joint import _LIST_JOINT
from unspoken.web.forms.listexp import _COMBINED, _DESIGN_TEST, _LIST, _LIST_DOUBLE
from unspoken.web.forms.mrp import _MRP
from unspoken.web.forms.polls import _POLLS
from unspoken.web.forms.power import _LIST_POWER, _RR_POWER
from unspoken.web.forms.rr import _RR
from unspoken.web.forms.tables import _TABLE_DIRECT, _TABLE_GAP, _TABLE_LIST

ANALYSES: dict[str, Analysis] = {
    a.key: a
    for a in (
        _LIST,
        _LIST_DOUBLE,
        _LIST_JOINT,
        _DESIGN_TEST,
        _DIRECT,
        _GAP,
        _COMBINED,
        _MRP,
        _RR,
        _POLLS,
        _LIST_POWER,
        _RR_POWER,
        _TABLE_LIST,
        _TABLE_DIRECT,
        _TABLE_GAP,
    )
}
