"""The command line as one tool: shared options with one help text, --html on every
command, the headline printed first, design-test per sensitive item, clean errors."""

from __future__ import annotations

import importlib
import json

import pytest

from unspoken import datasets
from unspoken.cli.main import COMMANDS

SHARED = (
    "--outcome", "--support", "--dk", "--dk-values", "--min-n", "--weights", "--cluster",
    "--strata", "--vcov", "--treat", "--control", "--J", "--by", "--level", "--seed", "--plot",
    "--encoding", "--json", "--html",
)  # fmt: skip

CASES = {
    "datasets": ["datasets", "race"],
    "list": ["list", "race", "--formula", "y ~ south", "--J", "3", "--by", "south"],
    "list-double": ["list-double", "double_list", "--y1", "y1", "--y2", "y2", "--treat", "long1"],
    "list-joint": ["list-joint", "mexico", "--formula", "mex.y.all ~ mex.male", "--treat", "mex.t",
                   "--J", "3", "--outcome", "mex.epnapprove"],
    "design-test": ["design-test", "race", "--outcome", "y", "--treat", "treat", "--J", "3"],
    "direct": ["direct", "gap_placebo", "--question", "support", "--support", "definitely,rather"],
    "gap": ["gap", "mexico", "--outcome", "mex.y.all", "--treat", "mex.t", "--J", "3",
            "--direct", "mex.direct"],
    "combined": ["combined", "combinedListExps", "--outcome", "list1N", "--treat", "list1treat",
                 "--direct", "direct1"],
    "rr": ["rr", "nigeria", "--formula", "rr.q1 ~ cov.age", "--p", "2/3", "--p0", "1/6",
           "--p1", "1/6"],
    "rr-power": ["rr-power", "--p", "2/3", "--p0", "1/6", "--p1", "1/6", "--presp", "0.2",
                 "--presp-null", "0.1", "--power", "0.8"],
    "polls": ["polls", "putin_approval", "--share", "approve", "--default-n", "Levada=1600",
              "--default-n", "FOM=1500", "--default-n", "VCIOM=1600", "--period", "week",
              "--since", "2019-01-01"],
}  # fmt: skip


def _commands():
    out = {}
    for name, mod in COMMANDS.items():
        try:
            out[name] = importlib.import_module(f"unspoken.cli.{mod}").command
        except ImportError:  # a command module still being written elsewhere
            continue
    return out


def test_shared_options_have_one_help_text():
    helps: dict[str, set[str]] = {}
    # list-power belongs to another module owner; list-double's --treat is another role
    # (which of the two lists holds the sensitive item), and polls' --dk is a column of
    # 'hard to say' shares, not a policy for don't-know answers; list-joint's --outcome is
    # the outcome the hidden trait predicts (its list count is in --formula)
    for name, cmd in _commands().items():
        if name == "list-power":
            continue
        for p in cmd.params:
            for opt in getattr(p, "opts", []):
                if (name, opt) in (
                    ("list-double", "--treat"),
                    ("polls", "--dk"),
                    ("list-joint", "--outcome"),  # the outcome the trait predicts
                ):
                    continue
                if opt in SHARED and p.help:
                    helps.setdefault(opt, set()).add(p.help)
    assert {"--weights", "--treat", "--by", "--html", "--json"} <= set(helps)
    # --J (required vs optional) and --by (one column vs repeatable) say how they differ
    # in one appended phrase; everything else is word for word the same
    for opt, texts in helps.items():
        stems = {t.split(" (")[0].rstrip(".") for t in texts}
        assert len(stems) == 1, (opt, texts)


@pytest.mark.parametrize("name", sorted(set(CASES)))
def test_every_command_writes_html_and_keeps_json(cli, tmp_path, name):
    args = CASES[name]
    code, plain, _ = cli(*[*args, "--json"])
    assert code == 0
    html = tmp_path / "r.html"
    code, out, err = cli(*[*args, "--json", "--html", str(html)])
    assert code == 0, err
    a, b = json.loads(out), json.loads(plain)
    a.pop("elapsed_s", None), b.pop("elapsed_s", None)  # polls report their run time
    assert a == b  # --html changes nothing on stdout
    text = html.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and 'class="headline"' in text
    assert "http://" not in text and "https://" not in text
    assert f"Report written to {html}" in err


@pytest.mark.parametrize("name", ["list", "gap", "direct", "combined", "rr", "polls"])
def test_text_output_starts_with_the_headline(cli, name):
    code, out, _ = cli(*CASES[name])
    assert code == 0
    lines = [ln for ln in out.splitlines() if ln.strip()]
    first = " ".join(lines[1:3])  # after the title line
    assert "%" in first, lines[:3]
    assert any(w in first for w in ("estimated", "share", "Latest", "supporting", "Combined"))


def test_text_tables_are_rich_and_right_aligned(cli):
    code, out, _ = cli(*CASES["list"])
    assert code == 0
    assert "┃" in out  # a rich table
    row = next(ln for ln in out.splitlines() if ln.startswith("│ south = 1"))
    cells = [c for c in row.split("│")[1:-1]]
    assert cells[1].endswith("% ") and cells[1].startswith("  ")  # right-aligned number


def test_design_test_runs_per_sensitive_item(cli):
    from unspoken.listexp.design_test import design_test_multi

    args = ["design-test", "multi", "--outcome", "y", "--treat", "treat", "--J", "3",
            "--control", "control"]  # fmt: skip
    code, out, err = cli(*[*args, "--json"])
    assert code == 0, err
    d = json.loads(out)
    api = design_test_multi(datasets.load("multi"), "y", "treat", 3, control="control")
    assert [i["item"] for i in d["items"]] == list(api.results) == ["affirm", "race"]
    for i in d["items"]:
        assert i["p_bonferroni"] == pytest.approx(api.results[i["item"]].p_bonferroni, rel=1e-12)
    code, out, _ = cli(*args)
    assert out.count("Bonferroni-corrected p-value") == 2
    assert "item 'affirm'" in out and "item 'race'" in out


def test_design_test_on_three_numeric_arms_tests_each(cli, tmp_path):
    df = datasets.load("race")
    df.loc[df.index % 3 == 0, "treat"] = 2
    path = tmp_path / "three.csv"
    df.to_csv(path, index=False)
    code, out, err = cli(*["design-test", str(path), "--outcome", "y", "--treat", "treat",
                                  "--J", "3", "--json"])  # fmt: skip
    assert code == 0, err
    assert [i["item"] for i in json.loads(out)["items"]] == ["1", "2"]


@pytest.mark.parametrize("name", sorted(set(CASES) - {"rr-power"}))
def test_data_errors_are_one_clean_line(cli, name):
    args = list(CASES[name])
    # a column that is not in the data, in the option each command reads first
    bad = {"list": "--by", "list-double": "--y1", "design-test": "--outcome",
           "direct": "--question", "gap": "--outcome", "combined": "--outcome",
           "polls": "--share", "list-joint": "--outcome"}  # fmt: skip
    if name == "rr":
        args[args.index("--formula") + 1] = "nope_col ~ cov.age"
    elif name == "datasets":
        args[1] = "nope_col"
    else:
        args[args.index(bad[name]) + 1] = "nope_col"
    code, out, err = cli(*args)
    assert code == 2
    assert out == ""
    assert "Traceback" not in err and "nope_col" in err
    assert len(err.strip().splitlines()) == 1, err


def test_unsupported_and_unwritable_are_clean(cli, tmp_path):
    code, out, err = cli(*["rr-power", "--p", "2/3", "--p0", "1/6", "--presp", "0.2"])
    assert code == 2 and out == "" and "Traceback" not in err
    code, out, err = cli(*[*CASES["rr-power"], "--html", str(tmp_path / "no" / "r.html")])
    assert code == 2 and out == "" and "cannot write" in err and "Traceback" not in err
    # also the demo, whose text starts with an introduction of its own
    code, out, err = cli(*["demo", "--html", str(tmp_path / "no" / "d.html")])
    assert code == 2 and out == "" and "cannot write" in err and "Traceback" not in err


def test_demo_html_holds_every_result(cli, tmp_path):
    html = tmp_path / "demo.html"
    code, out, _ = cli(*["demo", "--html", str(html)])
    assert code == 0 and "difference in means" in out
    text = html.read_text(encoding="utf-8")
    for title in ("the hidden answer", "maximum likelihood", "Design-effect test",
                  "difference in means", "The falsification gap"):  # fmt: skip
        assert f"<h2>{title}" in text or title in text
    # a summary, the race estimates, the design test, the two race fits and the gap; the
    # forest plot of the race fits and the gap plot
    assert text.count("<section>") == 6 and text.count("<svg") == 2


def test_level_outside_zero_one_is_a_usage_error(cli):
    code, out, err = cli(*[*CASES["list"], "--level", "95"])
    assert code == 2 and out == "" and "Traceback" not in err and "--level" in err


def test_bad_plot_suffix_is_a_usage_error(cli, tmp_path):
    code, out, err = cli(*[*CASES["gap"], "--plot", str(tmp_path / "p.txt")])
    assert code == 2 and out == "" and "Traceback" not in err and ".svg, .png or .pdf" in err


def test_warnings_are_one_plain_line(cli, monkeypatch):
    import warnings

    from unspoken import datasets as ds

    original = ds.info

    def noisy(name):
        warnings.warn("something to know", UserWarning, stacklevel=2)
        return original(name)

    monkeypatch.setattr(ds, "info", noisy)
    code, out, err = cli(*["datasets", "race", "--json"])
    assert code == 0 and json.loads(out)["name"] == "race"
    lines = err.strip().splitlines()  # (load() looks the data set up again)
    assert lines and set(lines) == {"Warning: something to know"}
