"""List experiments (item count technique): estimators, diagnostics and tests."""
