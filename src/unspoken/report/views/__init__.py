"""The view builders of :mod:`unspoken.report.view`, one module per family of results."""
