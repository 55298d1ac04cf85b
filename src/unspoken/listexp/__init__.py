"""List experiments (item count technique): estimators, diagnostics and tests.

Standard design: :func:`list_experiment` (alias :func:`ictreg`) with methods ``"dim"``,
``"lm"``, ``"nls"`` and ``"ml"``; the ML engine for other models is in
:mod:`unspoken.listexp.ml`.
"""

from __future__ import annotations

from unspoken.listexp.standard import ListFit, ictreg, list_experiment

__all__ = ["ListFit", "ictreg", "list_experiment"]
