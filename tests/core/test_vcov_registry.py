"""The registry of variance kinds and its one resolver (issue 11, item 3B): every
estimator checks ``vcov``/``variance`` through ``inference.covariance.resolve_vcov``, the
refusals come from one place (with ``param``), and the CLI's ``--vcov`` choices and help
come from the registry."""

from __future__ import annotations

import re
from pathlib import Path

import click
import numpy as np
import pytest

import unspoken
from unspoken import datasets
from unspoken.cli.main import cli
from unspoken.errors import UnsupportedError
from unspoken.inference.covariance import (
    VARIANCE_KINDS,
    VCOV_OFFERS,
    SurveyDesign,
    check_vcov_name,
    offered,
    resolve_vcov,
    variance_kind,
    vcov_from_influence,
)

SRC = Path(__file__).resolve().parents[2] / "src" / "unspoken"
N = 6
W = np.linspace(0.5, 1.5, N)
CL = np.array([0, 0, 1, 1, 2, 2])
ST = np.array([0, 0, 0, 1, 1, 1])
LIST_ML = VCOV_OFFERS["list:ml"]


def _design(weights=False, cluster=False, strata=False) -> SurveyDesign:
    return SurveyDesign(N, W if weights else None, CL if cluster else None, ST if strata else None)


def test_the_registry_is_complete():
    for key, offer in VCOV_OFFERS.items():
        assert offer.default in offer.kinds, key
        assert set(offer.kinds) <= set(VARIANCE_KINDS), key
    for k in VARIANCE_KINDS.values():
        assert k.description and "\n" not in k.description
        assert set(k.needs) <= set(k.uses) | {"cluster"}
        assert set(k.uses) <= {"weights", "cluster", "strata"}


def test_names_and_aliases():
    assert variance_kind("HC3").name == "hc3"
    assert variance_kind("taylor").name == "survey"
    assert variance_kind("robust") is None  # ambiguous (hc0? hc1?): not accepted
    assert check_vcov_name("linearization", ("survey", "hc0")) == "survey"


@pytest.mark.parametrize(
    ("design", "default", "weighted_default", "expected"),
    [
        ({}, "model", "hc0", "model"),
        ({"strata": True}, "model", "hc0", "survey"),
        ({"cluster": True}, "hc2", "hc0", "cluster"),
        ({"cluster": True, "weights": True}, "model", "hc0", "cluster"),
        ({"weights": True}, "model", "hc0", "hc0"),
        ({"weights": True}, "hc3", "hc0", "hc3"),
        # randomized response: weights make the default the survey design's
        ({"weights": True}, "model", "survey", "survey"),
        ({"cluster": True, "weights": True}, "model", "survey", "survey"),
        ({"cluster": True}, "model", "survey", "cluster"),
    ],
)
def test_defaults(design, default, weighted_default, expected):
    notes: list[str] = []
    kinds = ("model", "hc0", "hc2", "hc3", "cluster", "survey")
    got = resolve_vcov(
        None, _design(**design), kinds, default, notes, weighted_default=weighted_default
    )
    assert got == expected
    assert bool(notes) == (expected == "hc0")  # the weights note, only when hc0 replaces model


@pytest.mark.parametrize(
    ("requested", "design", "kwargs", "needle"),
    [
        ("robust", {}, {}, "unknown vcov 'robust'"),
        ("hc3", {}, {"estimator": "method='ml'"}, "not available for method='ml'"),
        ("opg", {}, {}, "rr_regression and list_joint only"),
        ("cluster", {}, {}, "needs a cluster column"),
        ("model", {"weights": True}, {}, "wrong with weights"),
        ("hc0", {"strata": True}, {}, "strata were given, but vcov='hc0' ignores them"),
        ("hc1", {"cluster": True}, {}, "a cluster column was given, but vcov='hc1' ignores"),
    ],
)
def test_refusals_come_from_the_resolver(requested, design, kwargs, needle):
    with pytest.raises(UnsupportedError, match=re.escape(needle)) as ei:
        resolve_vcov(requested, _design(**design), LIST_ML.kinds, "model", **kwargs)
    assert ei.value.param == "vcov"


def test_policies():
    # an ignored cluster column as a note instead of an error
    notes: list[str] = []
    d = _design(cluster=True)
    assert resolve_vcov("hc0", d, LIST_ML.kinds, "model", notes, ignored="note") == "hc0"
    assert notes and "ignores it" in notes[0]
    # frequency weights (randomized response): the model-based variance stays allowed
    rr = VCOV_OFFERS["rr"]
    assert resolve_vcov("opg", _design(weights=True), rr.kinds, "model", frequency_weights=True)
    # the argument's own name in the messages and on the error
    with pytest.raises(UnsupportedError, match="variance='hc0'") as ei:
        resolve_vcov("hc0", _design(strata=True), ("survey", "hc0"), "survey", param="variance")
    assert ei.value.param == "variance"


def _race():
    d = datasets.load("race")
    d["d"] = (np.arange(len(d)) % 3 == 0).astype(int)
    return d


ENTRY_POINTS = {
    "list": (_race, lambda d, v: unspoken.list_experiment(d, "y ~ 1", J=3, vcov=v), "vcov"),
    "multi": (
        lambda: datasets.load("multi"),
        lambda d, v: unspoken.list_experiment(d, "y ~ 1", J=3, method="ml", vcov=v),
        "vcov",
    ),
    "ceiling": (
        _race,
        lambda d, v: unspoken.list_experiment(d, "y ~ 1", J=3, ceiling=True, vcov=v),
        "vcov",
    ),
    "double": (
        lambda: datasets.load("double_list"),
        lambda d, v: unspoken.double_list_experiment(d, "y1", "y2", "long1", vcov=v),
        "vcov",
    ),
    "rr": (
        _race,
        lambda d, v: unspoken.rr_regression(d, "d ~ 1", "mirrored", p=0.7, vcov=v),
        "vcov",
    ),
    "rr_prevalence": (
        _race,
        lambda d, v: unspoken.rr_prevalence(d, "d", "mirrored", p=0.7, vcov=v),
        "vcov",
    ),
    "rr_predictor": (
        _race,
        lambda d, v: unspoken.rr_predictor(d, "male ~ d", "d", "mirrored", p=0.7, vcov=v),
        "vcov",
    ),
    "direct": (_race, lambda d, v: unspoken.direct_poll(d, "d", vcov=v), "vcov"),
    "gap": (_race, lambda d, v: unspoken.gap(d, "y", "treat", 3, "d", vcov=v), "vcov"),
}


@pytest.mark.parametrize("api", list(ENTRY_POINTS))
def test_every_estimator_refuses_through_the_resolver(api):
    data, call, param = ENTRY_POINTS[api]
    with pytest.raises(UnsupportedError) as ei:
        call(data(), "no-such-kind")
    assert ei.value.param == param
    assert f"unknown {param} 'no-such-kind'; the variance estimators here are" in str(ei.value)


def test_rr_prevalence_refuses_opg_with_the_reason():
    with pytest.raises(UnsupportedError, match="rr_regression and list_joint only") as ei:
        ENTRY_POINTS["rr_prevalence"][1](_race(), "opg")
    assert ei.value.param == "vcov"


def test_an_alias_gives_the_same_fit():
    d = _race()
    a = unspoken.list_experiment(d, "y ~ 1", J=3, method="lm", vcov="HC1")
    b = unspoken.list_experiment(d, "y ~ 1", J=3, method="lm", vcov="hc1")
    assert a.vcov_type == "hc1" and np.array_equal(a.cov, b.cov)


@pytest.mark.parametrize(
    ("command", "estimators"), [("list", ("list",)), ("list-double", ("double",)), ("rr", ("rr",))]
)
def test_cli_vcov_choices_and_help_come_from_the_registry(command, estimators):
    cmd = cli.get_command(click.Context(cli), command)
    opt = next(p for p in cmd.params if p.name == "vcov")
    assert isinstance(opt.type, click.Choice)
    assert tuple(opt.type.choices) == offered(*estimators)
    for k in offered(*estimators):
        assert f"{k}: {VARIANCE_KINDS[k].description}" in opt.help


def test_no_hand_written_variance_vocabulary():
    """No 'unknown vcov/variance' message outside the registry, and no list of variance
    names in the command line or the web forms (their choices come from the registry)."""
    names = r"[\"'](?:model|opg|hc0|hc1|hc2|hc3|cluster|survey|bootstrap)[\"']"
    vocab = re.compile(rf"[\[(]\s*{names}\s*,\s*{names}")
    hits = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel == "inference/covariance.py":
            continue
        text = path.read_text(encoding="utf-8")
        for no, line in enumerate(text.splitlines(), 1):
            if re.search(r"unknown (vcov|variance)", line) or (
                rel.startswith(("cli/", "web/")) and vocab.search(line)
            ):
                hits.append(f"{rel}:{no}: {line.strip()}")
    assert not hits, "\n".join(hits)


def test_vcov_from_influence_still_refuses_a_bad_kind():
    with pytest.raises(UnsupportedError):
        vcov_from_influence(np.ones((3, 1)), "opg")  # type: ignore[arg-type]
