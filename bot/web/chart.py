"""The overview's chart of messages sent per minute over the last 24 hours, per platform,
drawn on the server as SVG (no script, no library): one polyline per platform, 429s marked,
hours along the bottom, a legend, a text summary for screen readers and an hourly table
under a <details> for anyone who cannot read the picture.

Pure functions: counts in, markup out. Every piece of text is escaped here (platform names
come from the database); colours are presentation attributes, never ``style=`` (the CSP).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from babel.numbers import format_decimal
from markupsafe import Markup, escape

from bot.web.i18n import _
from digests.store._traffic import SendMinute

MINUTES = 24 * 60
PLATFORMS = ("telegram", "discord")
COLOURS = {"telegram": "#1f8bc4", "discord": "#5865f2"}
OTHER_COLOURS = ("#2e7d32", "#8e5b00", "#6a1b9a")
LIMITED_COLOUR = "#c62828"
# The drawing's own units (it scales to the page's width).
WIDTH, HEIGHT = 960, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 24, 30, 36
# The legend's line, above the plot.
LEGEND_Y = 12
HOURS_BETWEEN_LABELS = 3


@dataclass(frozen=True)
class Series:
    """One platform's counts, minute by minute, oldest first: (sent, 429s)."""

    platform: str
    counts: tuple[tuple[int, int], ...]

    @property
    def sent(self) -> int:
        return sum(s for s, _n in self.counts)

    @property
    def limited(self) -> int:
        return sum(n for _s, n in self.counts)

    @property
    def peak(self) -> int:
        return max((s for s, _ in self.counts), default=0)


def per_minute(
    rows: Iterable[SendMinute], *, end: datetime, minutes: int = MINUTES
) -> list[Series]:
    """The stored minutes as one series per platform over the ``minutes`` minutes ending
    with ``end``'s (pure); Telegram and Discord always, other platforms when counted."""
    last = end.astimezone(UTC).replace(second=0, microsecond=0)
    first = last - timedelta(minutes=minutes - 1)
    grid: dict[str, list[tuple[int, int]]] = {p: [(0, 0)] * minutes for p in PLATFORMS}
    for row in rows:
        index = int((row.minute - first) / timedelta(minutes=1))
        if 0 <= index < minutes:
            counts = grid.setdefault(row.platform, [(0, 0)] * minutes)
            sent, limited = counts[index]
            counts[index] = (sent + max(row.sent, 0), limited + max(row.limited, 0))
    return [Series(p, tuple(c)) for p, c in grid.items()]


def _colour(platform: str, index: int) -> str:
    return COLOURS.get(platform, OTHER_COLOURS[index % len(OTHER_COLOURS)])


def _x(index: int, minutes: int) -> float:
    return LEFT + index * (WIDTH - LEFT - RIGHT) / max(minutes - 1, 1)


def _y(value: int, top: int) -> float:
    return HEIGHT - BOTTOM - value * (HEIGHT - TOP - BOTTOM) / max(top, 1)


def points(counts: Sequence[tuple[int, int]], top: int) -> str:
    """A polyline's points (pure): a point where the count changes, and either side of
    it, so a flat stretch is one segment, not a point a minute."""
    kept = []
    last = len(counts) - 1
    for i, (sent, _limited) in enumerate(counts):
        before = counts[i - 1][0] if i else None
        after = counts[i + 1][0] if i < last else None
        if i in (0, last) or sent != before or sent != after:
            kept.append(f"{_x(i, len(counts)):.1f},{_y(sent, top):.1f}")
    return " ".join(kept)


def _number(n: int, language: str) -> str:
    return format_decimal(n, locale=language)


def summary(series: Sequence[Series], language: str) -> str:
    """One sentence per platform: messages, peak a minute, 429s (pure)."""
    parts = [
        _(
            "%(platform)s: %(sent)s messages, at most %(peak)s a minute, %(limited)s × 429",
            platform=s.platform,
            sent=_number(s.sent, language),
            peak=_number(s.peak, language),
            limited=_number(s.limited, language),
        )
        for s in series
    ]
    return "; ".join(parts)


def _axes(start: datetime, minutes: int, top: int, language: str) -> list[str]:
    bottom = HEIGHT - BOTTOM
    out = [
        f'<line class="axis" x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}" '
        'stroke="#777" stroke-width="1"/>',
        f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}" '
        'stroke="#777" stroke-width="1"/>',
    ]
    for value in sorted({0, top // 2, top}):
        y = _y(value, top)
        out.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'font-size="12" fill="currentColor">{escape(_number(value, language))}</text>'
        )
    for i in range(minutes):
        at = start + timedelta(minutes=i)
        if at.minute == 0 and at.hour % HOURS_BETWEEN_LABELS == 0:
            x = _x(i, minutes)
            out.append(
                f'<line class="grid" x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 4}" '
                'stroke="#777" stroke-width="1"/>'
                f'<text class="tick" x="{x:.1f}" y="{bottom + 18}" text-anchor="middle" '
                f'font-size="12" fill="currentColor">{at:%H}:00</text>'
            )
    out.append(
        f'<text class="axis-title" x="{WIDTH - RIGHT}" y="{HEIGHT - 2}" text-anchor="end" '
        f'font-size="11" fill="currentColor">{escape(_("hour (UTC)"))}</text>'
    )
    return out


def _marks(series: Series, start: datetime, top: int, colour: str) -> list[str]:
    """A 429's mark: a red ring on the platform's line, with its minute and count."""
    out = []
    for i, (sent, limited) in enumerate(series.counts):
        if limited:
            at = start + timedelta(minutes=i)
            label = _(
                "%(platform)s %(minute)s UTC: %(n)s × 429",
                platform=series.platform,
                minute=at.strftime("%H:%M"),
                n=limited,
            )
            out.append(
                f'<circle class="limited" cx="{_x(i, len(series.counts)):.1f}" '
                f'cy="{_y(sent, top):.1f}" r="4" fill="none" stroke="{LIMITED_COLOUR}" '
                f'stroke-width="2"><title>{escape(label)}</title></circle>'
            )
    return out


def _legend(series: Sequence[Series]) -> list[str]:
    out = []
    x = LEFT + 8
    entries = [(s.platform, _colour(s.platform, i), "line") for i, s in enumerate(series)]
    entries.append((_("429 (rate limited)"), LIMITED_COLOUR, "ring"))
    for label, colour, kind in entries:
        if kind == "line":
            out.append(
                f'<line x1="{x}" y1="{LEGEND_Y}" x2="{x + 18}" y2="{LEGEND_Y}" '
                f'stroke="{colour}" stroke-width="3"/>'
            )
        else:
            out.append(
                f'<circle cx="{x + 9}" cy="{LEGEND_Y}" r="4" fill="none" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
        text = escape(label[:40])
        out.append(
            f'<text class="legend" x="{x + 24}" y="{LEGEND_Y + 4}" font-size="12" '
            f'fill="currentColor">{text}</text>'
        )
        x += 40 + 8 * len(label[:40])
    return out


def svg(series: Sequence[Series], *, end: datetime, language: str = "en") -> Markup:
    """The chart (pure): an <svg role="img"> with a <title> and a spoken summary."""
    minutes = max((len(s.counts) for s in series), default=MINUTES)
    start = end.astimezone(UTC).replace(second=0, microsecond=0) - timedelta(minutes=minutes - 1)
    top = max((s.peak for s in series), default=0) or 1
    title = _("Messages sent per minute, last 24 hours")
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'aria-label="{escape(title + ". " + summary(series, language))}" '
        'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(title)}</title>",
        *_axes(start, minutes, top, language),
    ]
    for i, one in enumerate(series):
        colour = _colour(one.platform, i)
        parts.append(
            f'<polyline class="series" data-platform="{escape(one.platform)}" fill="none" '
            f'stroke="{colour}" stroke-width="1.5" points="{points(one.counts, top)}"/>'
        )
        parts.extend(_marks(one, start, top, colour))
    parts.extend(_legend(series))
    parts.append("</svg>")
    return Markup("".join(parts))


def hourly(
    series: Sequence[Series], *, end: datetime
) -> list[tuple[datetime, list[tuple[int, int]]]]:
    """The counts summed per hour, oldest first (pure): (hour's start, per series
    (sent, 429s)); the first and last hours may be partial."""
    minutes = max((len(s.counts) for s in series), default=0)
    start = end.astimezone(UTC).replace(second=0, microsecond=0) - timedelta(minutes=minutes - 1)
    hours: dict[datetime, list[tuple[int, int]]] = {}
    for i in range(minutes):
        hour = (start + timedelta(minutes=i)).replace(minute=0)
        row = hours.setdefault(hour, [(0, 0)] * len(series))
        for n, one in enumerate(series):
            sent, limited = one.counts[i]
            row[n] = (row[n][0] + sent, row[n][1] + limited)
    return sorted(hours.items())


def table(series: Sequence[Series], *, end: datetime, language: str = "en") -> Markup:
    """The chart's numbers as an hourly table under a <details> (pure)."""
    head = "".join(
        f'<th scope="col">{escape(s.platform)}</th><th scope="col">{escape(s.platform)} 429</th>'
        for s in series
    )
    rows = []
    for hour, counts in hourly(series, end=end):
        cells = "".join(
            f'<td class="num">{escape(_number(sent, language))}</td>'
            f'<td class="num">{escape(_number(limited, language))}</td>'
            for sent, limited in counts
        )
        rows.append(f'<tr><th scope="row">{hour:%Y-%m-%d %H}:00</th>{cells}</tr>')
    return Markup(
        f'<details class="chart-data"><summary>{escape(_("The numbers, per hour (UTC)"))}'
        f'</summary><table><thead><tr><th scope="col">{escape(_("Hour (UTC)"))}</th>{head}'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></details>"
    )


def figure(rows: Iterable[SendMinute], *, end: datetime, language: str = "en") -> Markup:
    """The overview's chart with its table, or the empty state when nothing was sent."""
    series = per_minute(rows, end=end)
    if not any(s.sent or s.limited for s in series):
        # The empty frame still drawn (axes, hours, legend), the words said under it.
        text = escape(_("No messages in the last 24 hours."))
        return Markup(
            f'<figure class="chart">{svg(series, end=end, language=language)}'
            f'<figcaption class="chart-empty">{text}</figcaption></figure>'
        )
    return Markup(
        f'<figure class="chart">{svg(series, end=end, language=language)}'
        f"{table(series, end=end, language=language)}</figure>"
    )
