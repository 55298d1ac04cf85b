"""The ``unspoken list-joint`` command through its entry point."""

from __future__ import annotations

import json

import unspoken
from unspoken.results import json_text

ARGS = ["mexico", "--formula", "mex.y.all ~ mex.male + mex.age", "--treat", "mex.t", "--J", "3"]


def test_json_output_is_the_api_result(cli):
    code, out, _ = cli("list-joint", *ARGS, "--outcome", "mex.epnapprove", "--by", "mex.urban",
                       "--json")  # fmt: skip
    assert code == 0
    fit = unspoken.list_joint(
        unspoken.datasets.load("mexico"),
        "mex.y.all ~ mex.male + mex.age",
        treat="mex.t",
        J=3,
        outcome="mex.epnapprove",
        by="mex.urban",
    )
    assert json.loads(out) == json.loads(json_text(fit.to_dict()))


def test_options_reach_the_function(cli):
    code, out, _ = cli("list-joint", *ARGS, "--outcome", "mex.votecard", "--outcome-model",
                       "logistic", "--unconstrained", "--vcov", "opg", "--level", "0.9",
                       "--json")  # fmt: skip
    assert code == 0
    d = json.loads(out)
    assert d["model"] == "list.joint.logistic" and d["vcov"] == "opg"
    assert d["constrained"] is False and d["sigma"] is None
    assert {p["part"] for p in d["params"]} == {"sensitive", "control.z0", "control.z1", "outcome"}


def test_text_and_html_report(cli, tmp_path):
    html = tmp_path / "joint.html"
    code, out, _ = cli("list-joint", *ARGS, "--outcome", "mex.epnapprove", "--html", str(html))
    assert code == 0
    assert "by hidden status" in out
    assert "by hidden status" in html.read_text()


def test_bad_outcome_is_a_clear_error(cli):
    code, out, err = cli("list-joint", *ARGS, "--outcome", "mex.epnapprove", "--outcome-model",
                         "logistic")  # fmt: skip
    assert code != 0
    assert "must be 0/1" in out + err and "Traceback" not in out + err
