"""Hausman-type specification test comparing the list ML and NLS estimators (Imai 2011).

Both estimators are consistent under the model; the ML is efficient, so under the null of a
correct model ``V_NLS - V_ML`` is the covariance of ``b_ML - b_NLS`` and

    H = (b_ML - b_NLS)' (V_NLS - V_ML)^+ (b_ML - b_NLS)  ~  chi^2(k)

with ``k`` the number of coefficients and ``^+`` the Moore-Penrose inverse (singular values
below ``sqrt(eps)`` times the largest dropped, as R ``MASS::ginv``). In finite samples
``V_NLS - V_ML`` need not be positive semi-definite and ``H`` can be negative, itself a sign
of misspecification. R ``ict.hausman.test`` then stops unless ``abs = TRUE`` (p-value from
``|H|``); here the result is returned either way, with ``p_value = None`` and a note when
``H < 0`` and ``abs=False`` (a deliberate difference: a specification check should report,
not fail).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import chi2

from unspoken.errors import UnsupportedError
from unspoken.listexp.results import HausmanResult

__all__ = ["HausmanResult", "hausman_statistic", "hausman_test"]


def hausman_statistic(
    b_ml: np.ndarray,
    V_ml: np.ndarray,
    b_nls: np.ndarray,
    V_nls: np.ndarray,
    abs: bool = False,
) -> HausmanResult:
    """The test from coefficient vectors and covariance matrices (same order)."""
    b_ml, b_nls = np.asarray(b_ml, float), np.asarray(b_nls, float)
    V_ml, V_nls = np.asarray(V_ml, float), np.asarray(V_nls, float)
    if b_ml.shape != b_nls.shape or V_ml.shape != V_nls.shape:
        raise UnsupportedError("the ML and NLS fits have different numbers of coefficients")
    D = V_nls - V_ml
    d = b_ml - b_nls
    stat = float(d @ np.linalg.pinv(D, rcond=np.sqrt(np.finfo(float).eps), hermitian=False) @ d)
    k = int(d.size)
    min_eig = float(np.min(np.linalg.eigvalsh((D + D.T) / 2)))
    notes = []
    if min_eig < 0:
        notes.append(
            f"V_NLS - V_ML is not positive semi-definite (smallest eigenvalue {min_eig:.3g})"
        )
    if stat < 0 and not abs:
        notes.append(
            "the statistic is negative, suggesting misspecification; use abs=True for a "
            "p-value from its absolute value (as R ict.hausman.test(abs = TRUE))"
        )
        p = None
    else:
        p = float(chi2.sf(np.abs(stat), k))
    return HausmanResult(stat, k, p, min_eig, abs, notes)


def hausman_test(ml: Any, nls: Any, abs: bool = False) -> HausmanResult:
    """Compare a list ML fit and an NLS fit of the same model (R ``ict.hausman.test``).

    ``ml`` and ``nls`` are results of :func:`unspoken.list_experiment` with ``method="ml"``
    (constrained) and ``method="nls"`` on the same data and formula.
    """
    for fit, want in ((ml, "ml"), (nls, "nls")):
        method = getattr(fit, "method", None)
        if method != want:
            raise UnsupportedError(
                f"hausman_test needs a list_experiment fit with method='{want}', got {method!r}"
            )
    if list(ml.parts) != list(nls.parts) or list(ml.terms) != list(nls.terms):
        raise UnsupportedError(
            "the ML and NLS fits must have the same coefficients (the constrained ML and the "
            "NLS of the same formula)"
        )
    same_rows = ml.n == nls.n and getattr(ml, "J", None) == getattr(nls, "J", None)
    rows_ml, rows_nls = getattr(ml, "row_index_", None), getattr(nls, "row_index_", None)
    if same_rows and rows_ml is not None and rows_nls is not None:
        same_rows = list(rows_ml) == list(rows_nls)
    if not same_rows:
        raise UnsupportedError(
            f"the ML and NLS fits must be of the same data: the ML fit used {ml.n} "
            f"respondents (J = {getattr(ml, 'J', None)}), the NLS fit {nls.n} (J = "
            f"{getattr(nls, 'J', None)}), or other rows"
        )
    return hausman_statistic(ml.params_, ml.cov, nls.params_, nls.cov, abs=abs)
