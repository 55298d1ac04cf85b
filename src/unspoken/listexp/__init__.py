"""List experiments (item count technique): estimators, diagnostics and tests.

Standard design: :func:`list_experiment` (alias :func:`ictreg`) with methods ``"dim"``,
``"lm"``, ``"nls"`` and ``"ml"``; the ML engine for other models is in
:mod:`unspoken.listexp.ml`.

Layers, from the bottom (imports point downwards, never in a loop; a lazy import only defers
a heavy module and never points upwards; ``tests/core/test_import_cycles.py`` checks that the
import graph has no cycle):

1. options, data and results: :mod:`~unspoken.listexp.options` (:class:`ListVariant`, the
   switches of the models beyond the standard design, and the inference options built
   once), :mod:`~unspoken.listexp.data` (checked data of every design, prepared once:
   subgroups, resamples and variances work on row subsets of its arrays),
   :mod:`~unspoken.listexp.predict` (predictions, posteriors and another variance after a
   standard fit), :mod:`~unspoken.listexp.results` and :mod:`~unspoken.listexp.design_test_results`
   (the result classes: they hold numbers, describe themselves and call ``predict``);
2. engines: :mod:`~unspoken.listexp.core` (what an estimator returns),
   :mod:`~unspoken.listexp.least_squares` and :mod:`~unspoken.listexp.ml` (the estimators of
   the standard design), :mod:`~unspoken.listexp._variant_common` (steps shared by the
   estimators: the covariance by kind, the prevalence, the variants' result);
3. estimators of other designs and diagnostics: :mod:`~unspoken.listexp.multi`,
   :mod:`~unspoken.listexp.ceiling_floor`, :mod:`~unspoken.listexp.errors`,
   :mod:`~unspoken.listexp.overdispersed`, :mod:`~unspoken.listexp.double`,
   :mod:`~unspoken.listexp.combined`, :mod:`~unspoken.listexp.design_test`,
   :mod:`~unspoken.listexp.hausman`;
4. API: :mod:`~unspoken.listexp.variants` (dispatch to the models beyond the standard
   design) and :mod:`~unspoken.listexp.standard` (:func:`list_experiment`, which builds the
   options objects once and passes them down).
"""

from __future__ import annotations

from unspoken.listexp.results import ListFit
from unspoken.listexp.standard import ictreg, list_experiment

__all__ = ["ListFit", "ictreg", "list_experiment"]
