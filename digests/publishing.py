"""Publishing to a Discord announcement channel's followers: pure decisions.

A message posted in an announcement channel reaches the servers that follow the channel
only once it is published. Bot authors report that Discord allows 10 publishes per channel
per hour; beyond that, and while Discord's own 429 says to wait (a hold), a message stays
posted but unpublished. Publishing is best effort after the send: a refusal is logged once
and never makes the message go out again.

``decide_publish`` says whether one more publish may go out now; ``announcement_changes``
which stored channels of a server changed kind, from the channel list a server carries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# Discord's limit as bot authors observe it (it is not documented).
PUBLISH_LIMIT = 10
PUBLISH_WINDOW = timedelta(hours=1)
# Attempts older than this are of no use to any decision: they are pruned.
PUBLISH_KEEP = timedelta(days=1)
# A 429 whose wait cannot be read holds the channel this long.
DEFAULT_HOLD = timedelta(minutes=5)
# The longest hold a 429 can set: a wild retry_after (5,000 digits) must not stop a
# channel's publishing for ever.
MAX_HOLD = timedelta(hours=2)
# Discord's channel type for an announcement (news) channel.
ANNOUNCEMENT_TYPE = 5


@dataclass(frozen=True)
class PublishVerdict:
    """Whether a publish may go out; if not, why and until when."""

    allowed: bool
    reason: str = ""
    until: datetime | None = None


def decide_publish(
    attempts: Sequence[datetime],
    hold_until: datetime | None,
    now: datetime,
    *,
    limit: int = PUBLISH_LIMIT,
    window: timedelta = PUBLISH_WINDOW,
) -> PublishVerdict:
    """May one more publish go out in a channel at ``now``?

    ``attempts`` are the channel's earlier publishes that reached Discord (any order; those
    outside the window are ignored), ``hold_until`` the end of the wait Discord last asked
    for (a 429), if any.

    A clock set back (NTP, a host moved) leaves attempts and holds in the future. Discord
    counts in its own time, in which they are recent: an attempt up to one window ahead
    counts as made now, and a hold up to ``MAX_HOLD`` ahead holds. Beyond that the record
    is the clock's mistake, not Discord's wait, and would stop publishing for as long as
    the clock was off: it is ignored, and Discord's next 429, if any, says the truth.
    """
    if hold_until is not None and now < hold_until <= now + MAX_HOLD:
        return PublishVerdict(False, "Discord asked to wait (429)", hold_until)
    recent = sorted(min(a, now) for a in attempts if now - window < a <= now + window)
    if len(recent) >= limit:
        # Room again once the oldest attempt that keeps the count at the limit ages out.
        return PublishVerdict(False, f"{limit} publishes in the last hour", recent[-limit] + window)
    return PublishVerdict(True)


def hold_for(retry_after: float | None, now: datetime) -> datetime:
    """Until when a channel is held after a 429 that said ``retry_after`` seconds (None or
    nonsense: a default wait), capped so that no answer holds it for ever."""
    if retry_after is None or retry_after != retry_after or retry_after < 0:  # NaN too
        return now + DEFAULT_HOLD
    return now + timedelta(seconds=min(retry_after, MAX_HOLD.total_seconds()))


def is_announcement(channel_type: object) -> bool:
    """Whether a channel type (Discord's number) is an announcement channel."""
    return channel_type == ANNOUNCEMENT_TYPE


def announcement_changes(
    stored: Mapping[str, bool], present: Mapping[str, bool]
) -> dict[str, bool]:
    """The stored channels whose kind differs from what the server says now: channel id →
    announcement or not. A stored channel the server does not list (a thread, or one
    deleted meanwhile) is left as it is: other events deal with it."""
    return {
        chat: present[chat]
        for chat, announcement in stored.items()
        if chat in present and present[chat] != announcement
    }
