"""Warnings raised by unspoken become notes; anything else keeps Python's usual display."""

import warnings

import pytest

import unspoken.io
from unspoken._warnings import collect_warnings


def test_own_warnings_collected_foreign_ones_passed_on():
    own_file = unspoken.io.__file__
    with (
        pytest.warns(ResourceWarning, match="socket") as passed_on,
        collect_warnings() as messages,
    ):
        warnings.warn_explicit("fit note", UserWarning, own_file, 1)
        warnings.warn_explicit("fit note", UserWarning, own_file, 2)  # duplicate text
        warnings.warn_explicit("unclosed socket", ResourceWarning, "/elsewhere/x.py", 3)
    assert messages == ["fit note"]
    assert [str(w.message) for w in passed_on] == ["unclosed socket"]
