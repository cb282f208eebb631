"""The overview's chart as a pure function: counts per minute in, SVG out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

from bot.web import chart
from bot.web.i18n import current_language
from digests.store._traffic import SendMinute

END = datetime(2026, 11, 27, 12, 0, 30, tzinfo=UTC)
MINUTE = END.replace(second=0)
SVG = "{http://www.w3.org/2000/svg}"


def minute(ago: int, platform: str = "telegram", sent: int = 0, limited: int = 0) -> SendMinute:
    return SendMinute(MINUTE - timedelta(minutes=ago), platform, sent, limited)


def test_counts_become_one_series_per_platform_over_24_hours() -> None:
    rows = [minute(0, sent=5), minute(1, "discord", 2, 1), minute(1440, sent=99)]  # too old
    series = {s.platform: s for s in chart.per_minute(rows, end=END)}
    assert list(series) == ["telegram", "discord"]
    assert len(series["telegram"].counts) == chart.MINUTES
    assert series["telegram"].counts[-1] == (5, 0)
    assert series["telegram"].sent == 5
    assert series["discord"].counts[-2] == (2, 1)
    assert (series["discord"].sent, series["discord"].limited, series["discord"].peak) == (2, 1, 2)


def test_the_polyline_has_the_right_points() -> None:
    counts = ((0, 0), (0, 0), (0, 0), (4, 0), (0, 0), (2, 0))
    xs = [chart._x(i, 6) for i in range(6)]
    bottom, top = chart.HEIGHT - chart.BOTTOM, chart.TOP
    expected = [
        (xs[0], bottom),  # a flat start: its first point ...
        (xs[2], bottom),  # ... and its last, nothing between
        (xs[3], top),  # the peak reaches the top
        (xs[4], bottom),
        (xs[5], (bottom + top) / 2),
    ]
    got = [tuple(float(v) for v in p.split(",")) for p in chart.points(counts, 4).split()]
    assert got == [(round(x, 1), round(y, 1)) for x, y in expected]


def test_the_svg_is_well_formed_with_its_title_summary_legend_and_marks() -> None:
    rows = [minute(0, sent=1200), minute(30, sent=600, limited=3), minute(2, "discord", 40)]
    figure = str(chart.figure(rows, end=END))
    svg = re.search(r"<svg.*</svg>", figure, re.S)
    assert svg
    root = ElementTree.fromstring(svg.group(0))
    assert root.get("role") == "img"
    assert root.findtext(f"{SVG}title") == "Messages sent per minute, last 24 hours"
    label = root.get("aria-label") or ""
    assert "telegram: 1,800 messages, at most 1,200 a minute, 3 × 429" in label
    assert "discord: 40 messages" in label
    lines = root.findall(f"{SVG}polyline")
    assert [line.get("data-platform") for line in lines] == ["telegram", "discord"]
    (ring,) = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "limited"]
    assert ring.findtext(f"{SVG}title") == "telegram 11:30 UTC: 3 × 429"
    hours = [t.text for t in root.iter(f"{SVG}text") if t.text and t.text.endswith(":00")]
    assert hours == ["15:00", "18:00", "21:00", "00:00", "03:00", "06:00", "09:00", "12:00"]
    assert "style=" not in figure
    assert "<details" in figure and '<td class="num">1,200</td>' in figure


def test_no_messages_is_said_in_words() -> None:
    figure = str(chart.figure([], end=END))
    assert "No messages in the last 24 hours." in figure
    svg = re.search(r"<svg.*</svg>", figure, re.S)
    assert svg  # the empty frame, with its hours and legend
    root = ElementTree.fromstring(svg.group(0))
    assert not [c for c in root.iter(f"{SVG}circle") if c.get("class") == "limited"]
    assert "<details" not in figure
    assert "telegram: 0 messages" in (root.get("aria-label") or "")


def test_a_hostile_platform_name_is_escaped() -> None:
    name = '<script>alert(1)</script>"\u202e'
    figure = str(chart.figure([minute(0, name, 3)], end=END))
    assert "<script>" not in figure
    assert "&lt;script&gt;" in figure
    svg = re.search(r"<svg.*</svg>", figure, re.S)
    assert svg and ElementTree.fromstring(svg.group(0)) is not None


def test_numbers_follow_the_accounts_language() -> None:
    token = current_language.set("vi")
    try:
        figure = str(chart.figure([minute(0, sent=1200)], end=END, language="vi"))
    finally:
        current_language.reset(token)
    assert "1.200" in figure


def test_hourly_sums_add_up() -> None:
    rows = [minute(0, sent=3), minute(1, sent=4, limited=1), minute(61, sent=5)]
    hours = chart.hourly(chart.per_minute(rows, end=END), end=END)
    assert len(hours) == 25  # 11:01 yesterday to 12:00 today: a partial hour at each end
    assert hours[-1] == (MINUTE, [(3, 0), (0, 0)])
    assert hours[-2][1][0] == (4, 1)
    assert hours[-3][1][0] == (5, 0)
