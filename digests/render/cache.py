"""Sharing renderings between identical digests during a dispatch (``RenderCache``), and
the subscriber order that makes the sharing pay (``sharing_order``)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

from digests import i18n
from digests.assemble import DigestPlan
from digests.models import Subscriber, Subscription
from digests.outgoing import OutgoingMessage
from digests.render.renderer import Presentation, Renderer


class RenderCache:
    """Shares renderings between identical digests: the same stories, platform, language
    and local day (the time zone matters only through the date it shows). Subscribers
    with the same categories usually match, so a dispatch renders far fewer than it sends.

    It keeps the ``max_entries`` most recently used renderings: walk subscribers sorted by
    their subscriptions and language (see ``sharing_order``) and hits come in runs while
    memory stays flat however many subscribers there are.
    """

    def __init__(self, renderer: Renderer, max_entries: int = 512) -> None:
        self._renderer = renderer
        self._max = max_entries
        self._cache: OrderedDict[tuple[Any, ...], list[OutgoingMessage]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def render(
        self, plan: DigestPlan, platform: str, reader: Presentation
    ) -> list[OutgoingMessage]:
        day = i18n.local_date(plan.generated_at, reader.timezone)
        key = (plan.key, platform, reader.language, day)
        messages = self._cache.get(key)
        if messages is not None:
            self.hits += 1
            self._cache.move_to_end(key)
            return messages
        self.misses += 1
        messages = self._renderer.render_digest(plan, platform, reader)
        self._cache[key] = messages
        if len(self._cache) > self._max:
            self._cache.popitem(last=False)
        return messages

    def __len__(self) -> int:
        return len(self._cache)


def sharing_order(subscriber: Subscriber) -> tuple[Any, ...]:
    """Sort key that puts subscribers likely to share a rendering next to each other."""
    return (
        _subscriptions_key(subscriber.subscriptions),
        subscriber.language,
        subscriber.cursor_article_id or 0,
    )


def sharing_sorted(subscribers: Iterable[Subscriber]) -> list[Subscriber]:
    """``subscribers`` in ``sharing_order``, sorted faster: each subscription list object
    (a dispatch's reader gives identical lists one tuple) is ranked once, and the sort
    compares ranks instead of nested tuples."""
    listed = list(subscribers)  # alive while sorting: an id() is not reused meanwhile
    keys: dict[int, tuple[tuple[str, tuple[str, ...]], ...]] = {}
    for subscriber in listed:
        if id(subscriber.subscriptions) not in keys:
            keys[id(subscriber.subscriptions)] = _subscriptions_key(subscriber.subscriptions)
    ranks = {key: rank for rank, key in enumerate(sorted(set(keys.values())))}
    rank_of = {list_id: ranks[key] for list_id, key in keys.items()}
    return sorted(
        listed,
        key=lambda s: (rank_of[id(s.subscriptions)], s.language, s.cursor_article_id or 0),
    )


def _subscriptions_key(
    subscriptions: tuple[Subscription, ...],
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    # Plain tuples: comparing dataclass instances while sorting 100,000 keys is slow.
    return tuple((s.category, s.keywords) for s in subscriptions)


def render_many(
    renderer: Renderer, plans: Sequence[tuple[DigestPlan, Presentation]], platform: str
) -> list[list[OutgoingMessage]]:
    """Render several digests through one RenderCache."""
    cache = RenderCache(renderer)
    return [cache.render(plan, platform, reader) for plan, reader in plans]
