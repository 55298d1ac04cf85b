"""Layout: on a phone-sized window (420 x 900) the page never scrolls sideways, every
control of the forms lies inside the window, and an analysis runs and shows its report."""

from __future__ import annotations

from typing import Any

import pytest
from browser_ui import (
    choose_analysis,
    choose_data,
    go_home,
    headline,
    no_scroll_overflow,
    run,
    set_field,
)

WIDTH, HEIGHT = 420, 900


@pytest.fixture
def narrow(new_page: Any) -> Any:
    return new_page(width=WIDTH, height=HEIGHT)


def _controls_inside(page: Any) -> None:
    """Every visible input, select and button lies within the window's width."""
    boxes = page.evaluate(
        """() => Array.from(document.querySelectorAll('input, select, button, summary, nav a'))
            .filter(e => e.offsetParent !== null && e.type !== 'hidden')
            .map(e => { const r = e.getBoundingClientRect();
                        return [e.id || e.name || e.textContent.trim(), r.left, r.right]; })"""
    )
    assert boxes
    outside = [b for b in boxes if b[1] < 0 or b[2] > WIDTH + 1]
    assert not outside, f"controls outside the {WIDTH} px window: {outside}"


def test_narrow_window_no_sideways_scrolling(narrow: Any, server: Any) -> None:
    page = narrow
    go_home(page, server.url)
    no_scroll_overflow(page, WIDTH)
    _controls_inside(page)

    choose_data(page, server.url, "race")
    no_scroll_overflow(page, WIDTH)  # the preview table scrolls in its own box
    _controls_inside(page)

    choose_analysis(page, "Gap: said vs hidden")
    choose_analysis(page, "List experiment")
    set_field(page, "by", "south")
    set_field(page, "level", "0.9")  # opens "More options"
    no_scroll_overflow(page, WIDTH)
    _controls_inside(page)

    response = run(page)
    assert response.status == 200
    no_scroll_overflow(page, WIDTH)
    assert page.locator("#result").is_visible()
    assert "90% interval" in headline(page)
    frame = page.locator('iframe[title="Report"]').bounding_box()
    assert frame and frame["x"] >= 0 and frame["x"] + frame["width"] <= WIDTH + 1
    links = page.locator("p.links a")
    assert links.count() == 3
    for i in range(3):
        box = links.nth(i).bounding_box()
        assert box and box["x"] + box["width"] <= WIDTH + 1


def test_narrow_window_form_errors(narrow: Any, server: Any) -> None:
    page = narrow
    choose_data(page, server.url, "race")
    set_field(page, "J", "three")
    assert run(page).status == 400
    no_scroll_overflow(page, WIDTH)
    _controls_inside(page)
    message = page.locator("#f-J").get_attribute("aria-describedby")
    assert message and page.locator(f"#{message}").is_visible()


def test_narrow_window_boxes_inside_the_column(narrow: Any, server: Any) -> None:
    page = narrow
    go_home(page, server.url)
    sticking_out = page.evaluate(
        """() => { const m = document.querySelector('main'), s = getComputedStyle(m);
            const right = m.getBoundingClientRect().right - parseFloat(s.paddingRight);
            return Array.from(m.querySelectorAll('form, div, table, select, input, h2, p'))
              .filter(e => !e.closest('.scroll') && e.getBoundingClientRect().right > right + 1)
              .map(e => [e.tagName, e.className, e.getBoundingClientRect().right, right]); }"""
    )
    assert not sticking_out


def _report_frame_sizes(page: Any) -> dict:
    frame = page.frame(url=lambda u: "/report/" in u)
    assert frame is not None
    return frame.evaluate(
        """() => ({scroll: document.documentElement.scrollWidth,
                   client: document.documentElement.clientWidth,
                   body: document.body.scrollHeight,
                   frame: window.innerHeight})"""
    )


def test_narrow_window_report_fits_its_frame(narrow: Any, server: Any) -> None:
    page = narrow
    choose_data(page, server.url, "race")
    set_field(page, "by", "south")
    assert run(page).status == 200
    sizes = _report_frame_sizes(page)
    assert sizes["scroll"] <= sizes["client"] + 2, sizes


def test_report_frame_height_follows_the_report(page: Any, server: Any) -> None:
    choose_data(page, server.url, "race")
    assert run(page).status == 200
    page.wait_for_function(
        "() => document.querySelector('iframe').style.height !== ''", timeout=10_000
    )
    sizes = _report_frame_sizes(page)
    assert sizes["frame"] - sizes["body"] < 120, sizes
