"""Reply pieces the chat actions share: quoting what a member typed (short, and saying so
when it was cut) and the answer for a chat deleted while a change was on its way.

Every reply of the actions stays far under the platforms' message limits whatever the
input: whatever comes from the member is quoted through ``digests.echo``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import wraps
from typing import Any

from digests.echo import EXCERPT_CHARS, excerpt, excerpts
from digests.i18n import t
from digests.models import Subscriber
from digests.store import SubscriberGone

# How many names a reply quotes at most (unknown categories, missing subscriptions).
QUOTED_NAMES = 5


def quote(
    language: str, items: Sequence[str], limit: int = EXCERPT_CHARS, count: int = QUOTED_NAMES
) -> str:
    """``items`` quoted for a reply: duplicates removed, each cut to ``limit`` characters,
    at most ``count`` of them, and "(shortened)" when that left anything out."""
    shown = excerpts(list(items), limit, count)
    whole = ", ".join(dict.fromkeys(items))
    if shown == whole:
        return shown
    cut = len(dict.fromkeys(items)) > count or any(len(excerpt(i, 10**6)) > limit for i in items)
    return f"{shown} {t(language, '(shortened)')}" if cut else shown


def gone(language: str) -> str:
    """What a change answers when the chat was deleted (``/forget``) on its way."""
    return t(language, "This chat's settings were deleted; nothing was changed.")


def answers_gone(
    action: Callable[..., Awaitable[str]],
) -> Callable[..., Awaitable[str]]:
    """Make an action whose second argument is the subscriber answer ``gone`` when the
    store reports the subscriber vanished between the adapter's read and the write."""

    @wraps(action)
    async def wrapper(store: Any, subscriber: Subscriber, *args: Any, **kwargs: Any) -> str:
        try:
            return await action(store, subscriber, *args, **kwargs)
        except SubscriberGone:
            return gone(subscriber.language)

    return wrapper
