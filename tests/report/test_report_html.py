"""HTML reports: one per result type, parsed with the standard library's html.parser.

Each report must be well-formed (every opened element closed in order), load nothing from
the network, carry its result's headline numbers (as the JSON gives them), inline an <svg>
where a plot applies, and escape user-supplied text (column names, answer labels).
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

import unspoken
from unspoken import datasets
from unspoken.report import render_report, write_report

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "wbr", "source", "area", "base"}
EVIL = "<script>alert(1)</script>"


class Checker(HTMLParser):
    """Tag balance, URL attributes, and the text of every element class we care about."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.urls: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self.headlines: list[str] = []
        self._in_headline = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in ("src", "href", "xlink:href", "action", "srcset", "data") and v:
                self.urls.append(v)
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "p" and ("class", "headline") in attrs:
            self._in_headline = len(self.stack)
            self.headlines.append("")

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in ("src", "href", "xlink:href") and v:
                self.urls.append(v)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        if self._in_headline == len(self.stack):
            self._in_headline = 0
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)
        if self._in_headline:
            self.headlines[-1] += data


def check(html_text: str) -> Checker:
    assert html_text.startswith("<!DOCTYPE html>")
    c = Checker()
    c.feed(html_text)
    c.close()
    assert c.errors == [], c.errors[:5]
    assert c.stack == [], c.stack
    assert "script" not in c.tags  # no JavaScript, and user text never becomes a tag
    assert not any("http" in u for u in c.urls), c.urls
    assert not [u for u in c.urls if not u.startswith("#")]  # only in-page references
    assert "http://" not in html_text and "https://" not in html_text
    assert "<link" not in html_text and "@import" not in html_text and "url(http" not in html_text
    return c


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def race():
    return datasets.load("race")


@pytest.fixture(scope="module")
def list_fit(race):
    return unspoken.list_experiment(race, "y ~ south + age", treat="treat", J=3, by="south")


def test_list_fit_with_groups(list_fit, tmp_path):
    path = write_report(list_fit, tmp_path / "list.html", data_note="race data")
    c = check(path.read_text(encoding="utf-8"))
    d = json.loads(list_fit.to_json())
    head = " ".join(c.headlines)
    p = d["prevalence"]
    assert pct(p["estimate"]) in head and pct(p["ci_low"]) in head and pct(p["ci_high"]) in head
    assert p["estimate"] == list_fit.prevalence.estimate
    assert "svg" in c.tags  # forest plot of the groups
    text = " ".join(c.text)
    for g in d["by"]:
        assert pct(g["prevalence"]["estimate"]) in text
    assert "race data" in text and "unspoken" in text and "model" in text  # how computed


def test_list_fit_without_groups_has_no_plot(race):
    fit = unspoken.list_experiment(race, "y ~ 1", treat="treat", J=3, method="dim")
    c = check(render_report(fit))
    assert "svg" not in c.tags
    assert pct(json.loads(fit.to_json())["prevalence"]["estimate"]) in c.headlines[0]


def test_multi_item_fit_and_design_tests():
    multi = datasets.load("multi")
    fit = unspoken.list_experiment(multi, "y ~ male", treat="treat", J=3, control="control")
    from unspoken.listexp.design_test import design_test_multi

    test = design_test_multi(multi, "y", "treat", 3, control="control")
    c = check(render_report([fit, test]))
    d = json.loads(fit.to_json())
    head = " ".join(c.headlines)
    for item in d["prevalence"]:
        assert f"'{item['item']}'" in head and pct(item["estimate"]) in head
    dt = json.loads(test.to_json())
    assert len(dt["items"]) == 2
    for item in dt["items"]:
        assert f"Bonferroni p = {item['p_bonferroni']:.4f}" in head


def test_design_test(race):
    res = unspoken.design_test(race, outcome="y", treat="treat", J=3)
    c = check(render_report(res))
    d = json.loads(res.to_json())
    assert d["verdict"] in c.headlines
    assert f"{d['p_bonferroni']:.4f}" in " ".join(c.text)


def test_gap_with_plot():
    mexico = datasets.load("mexico")
    res = unspoken.gap(mexico, outcome="mex.y.all", treat="mex.t", J=3, direct="mex.direct",
                       by="mex.urban")  # fmt: skip
    c = check(render_report(res))
    o = json.loads(res.to_json())["overall"]
    head = c.headlines[0]
    assert pct(o["list"]["estimate"]) in head and pct(o["direct"]["estimate"]) in head
    assert f"{100 * abs(o['gap']['estimate']):.1f} points" in head
    assert f"{100 * o['gap']['ci_high']:.1f} points" in head
    assert "svg" in c.tags


def test_direct_poll_escapes_answers_and_question():
    rng = np.random.default_rng(1)
    answers = np.array(["yes", "no", "<b>bold</b> & co"])[rng.integers(0, 3, 400)]
    df = pd.DataFrame({EVIL: answers, "g": rng.integers(0, 2, 400)})
    res = unspoken.direct_poll(df, EVIL, "yes", by="g")
    text = render_report(res, title=EVIL, data_note=EVIL)
    c = check(text)
    assert EVIL not in text and "<b>bold" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<b>bold</b> & co" in " ".join(c.text)  # shown as text, not markup
    s = json.loads(res.to_json())["overall"]["support"]
    assert pct(s["estimate"]) in c.headlines[0]
    assert "svg" in c.tags  # support by group


def test_malicious_group_column_is_escaped_in_tables_and_svg(race):
    df = race.rename(columns={"south": EVIL})
    fit = unspoken.list_experiment(df, "y ~ 1", treat="treat", J=3, method="dim", by=EVIL)
    text = render_report(fit)
    c = check(text)
    assert EVIL not in text
    assert "svg" in c.tags
    assert sum(EVIL in t for t in c.text) >= 3  # table rows and plot labels, as text


def test_combined():
    d = datasets.load("combinedListExps")
    res = unspoken.combined_list_direct(d, "list1N", "list1treat", "direct1")
    c = check(render_report(res))
    js = json.loads(res.to_json())
    assert pct(js["combined"]["estimate"]) in c.headlines[0]
    assert pct(js["combined"]["ci_low"]) in c.headlines[0]


def test_rr_fit_prevalence_and_power():
    nigeria = datasets.load("nigeria")
    kw = {"design": "forced-known", "p": 2 / 3, "p0": 1 / 6, "p1": 1 / 6}
    fit = unspoken.rr_regression(nigeria, "rr.q1 ~ cov.age + cov.female", **kw, by="cov.female")
    prev = unspoken.rr_prevalence(nigeria, "rr.q1", **kw)
    power = unspoken.rr_power("forced-known", p=2 / 3, p0=1 / 6, p1=1 / 6, presp=0.2,
                              presp_null=0.1, power=0.8)  # fmt: skip
    c = check(render_report([fit, prev, power], title="RR"))
    head = " ".join(c.headlines)
    assert pct(json.loads(fit.to_json())["prevalence"]["estimate"]) in head
    assert pct(json.loads(prev.to_json())["prevalence"]["estimate"]) in head
    assert f"n = {json.loads(power.to_json())['n']} respondents" in head
    assert "svg" in c.tags  # the RR fit has groups


def test_double_list():
    fit = unspoken.double_list_experiment(datasets.load("double_list"), "y1", "y2", "long1")
    c = check(render_report(fit))
    assert pct(json.loads(fit.to_json())["prevalence"]["estimate"]) in c.headlines[0]
    assert "Consistency of the two lists" in " ".join(c.text)


def test_polls_with_plot_and_warnings():
    from unspoken.polls import fit_polls, simulate_polls

    s = simulate_polls(n_days=120, polls_per_pollster=12, seed=3)
    res = fit_polls(s.polls, "share", "pollster", start="start", end="end", n="n")
    c = check(render_report(res, warnings=["a warning <i>"]))
    d = json.loads(res.to_json())
    head = c.headlines[0]
    assert f"{d['latest']['estimate']:.1f}%" in head and d["latest"]["date"] in head
    assert "svg" in c.tags
    assert "a warning <i>" in " ".join(c.text)


def test_several_plots_keep_ids_apart(list_fit):
    text = render_report([list_fit, list_fit])
    check(text)
    ids = [p.split('"', 1)[0] for p in text.split(' id="')[1:]]
    assert len(ids) == len(set(ids))


def test_unwritable_path_is_a_data_error(list_fit, tmp_path):
    with pytest.raises(unspoken.DataError, match="cannot write"):
        write_report(list_fit, tmp_path / "missing" / "r.html")
