"""Imported once by the web page's fork server, so that each job's process starts with
pandas, scipy, matplotlib and unspoken's estimators already loaded (a fork, not an import)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import unspoken.direct
import unspoken.falsification
import unspoken.io
import unspoken.listexp.standard
import unspoken.polls
import unspoken.report
import unspoken.rr.regression
import unspoken.web.analyses  # noqa: F401
