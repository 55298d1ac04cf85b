"""CLI of the extended list designs, through the entry point (--json parsed)."""

import json
import shlex


def _json(cli, command: str) -> dict:
    """``unspoken COMMAND --json`` (a shell-quoted line) succeeds: its JSON."""
    out = cli(*shlex.split(command), "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _clean_error(cli, command: str) -> str:
    """``unspoken COMMAND`` exits with code 2 and no traceback: what it said."""
    out = cli(*shlex.split(command))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    return out.stderr


def test_list_double_json(cli):
    d = _json(
        cli, "list-double double_list --y1 y1 --y2 y2 --treat long1 --weights weight --cluster psu"
    )
    assert d["vcov"] == "cluster"
    assert 0 < d["prevalence"]["estimate"] < 1
    assert {p["part"] for p in d["params"]} == {
        "sensitive",
        "list1",
        "list2",
        "control1",
        "control2",
    }
    assert 0 <= d["consistency_test"]["p_value"] <= 1


def test_list_double_bad_column_is_a_clean_error(cli):
    assert "nope" in _clean_error(cli, "list-double double_list --y1 nope --y2 y2 --treat long1")


def test_list_multi_items_json(cli):
    d = _json(cli, "list multi --formula 'y ~ male + college' --J 3 --multi-condition level")
    assert [p["item"] for p in d["prevalence"]] == ["affirm", "race"]
    for p in d["prevalence"]:
        assert set(p) >= {"item", "estimate", "std_error", "ci_low", "ci_high"}
    parts = {p["part"] for p in d["params"]}
    assert parts == {"sensitive.affirm", "sensitive.race", "control"}
    assert any(p["term"] == "y_i(0)" for p in d["params"])


def test_list_ceiling_floor_error_overdispersed_json(cli):
    d = _json(
        cli,
        "list race --formula 'y ~ south + age' --J 3 --ceiling --floor "
        "--ceiling-formula '~ south' --liar-fit bayesglm",
    )
    assert {"ceiling", "floor"} <= {p["part"] for p in d["params"]}
    assert 0 <= d["liars"]["ceiling_share_hiding"]["ci_low"] <= 1
    d = _json(cli, "list race --formula 'y ~ south + age + south:age' --J 3 --error topcoded")
    assert any(p["term"] == "south:age" for p in d["params"])
    assert "p" in d["error_share"]
    d = _json(cli, "list race --J 3 --overdispersed --weights age --cluster state")
    assert d["vcov"] == "cluster" and "rho" in d


def test_list_unsupported_combination_is_a_clean_error(cli):
    said = _clean_error(cli, "list race --J 3 --ceiling --error uniform")
    assert "cannot be combined" in said
