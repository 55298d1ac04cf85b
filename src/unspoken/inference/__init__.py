"""Shared inference machinery: covariance estimators, the delta method, optimisation."""
