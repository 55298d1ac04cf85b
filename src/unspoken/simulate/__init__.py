"""Data-generating processes with a known truth, one module per design family.

Used by the tests (recovery and coverage), the benchmarks and power analysis. Every
function takes ``seed`` (an int or a ``numpy.random.Generator``) and is reproducible.
"""
