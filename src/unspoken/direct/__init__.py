"""The direct poll: the share of each answer to a direct question, and of a support set.

For answer category ``k`` in a domain ``D`` (the whole sample or a subgroup) the estimate is
the weighted share ``p_k = sum_{i in D} w_i 1{y_i = k} / sum_{i in D} w_i`` and its influence
value is ``psi_ik = w_i (1{y_i = k} - p_k) / sum_{i in D} w_i`` for ``i`` in ``D`` and 0
elsewhere. The variance is the Taylor-linearisation (with-replacement) variance of the sum
of the ``psi_i`` over the *whole* design (each row a PSU unless clusters are given, strata
if given): for a simple random sample ``n/(n-1) sum_i psi_i^2``. This is what R ``survey``'s
``svymean`` and ``svyby`` give for the same design (domains keep every PSU of the full
sample; Lumley 2010, ch. 2-3), so a subgroup's interval accounts for its random size.

"Don't know" and refusals are reported as categories of their own; for the support share
the user chooses whether they count as non-support (``dk="no"``), are dropped from the
denominator (``dk="drop"``), or bound the share (``dk="bounds"``: the lower bound counts
them as non-support, the upper as support).

Modules, by job: :mod:`~unspoken.direct.answers` (answer codes and labels, "don't know" and
support answers), :mod:`~unspoken.direct.results` (DirectTable, DirectResult and the JSON /
``tidy()`` pieces the gap's results share) and :mod:`~unspoken.direct.estimator`
(:func:`direct_poll`, the weighted shares, their influence values and design covariance, the
survey design and the subgroups), which imports the other two.
"""

from __future__ import annotations

from unspoken.direct.answers import DK_POLICIES, DkPolicy
from unspoken.direct.estimator import (
    DirectVcov,
    design_vcov,
    direct_poll,
    group_masks,
    read_design,
    share_influence,
)
from unspoken.direct.results import DirectResult, DirectTable

__all__ = [
    "DK_POLICIES",
    "DirectResult",
    "DirectTable",
    "DirectVcov",
    "DkPolicy",
    "design_vcov",
    "direct_poll",
    "group_masks",
    "read_design",
    "share_influence",
]
