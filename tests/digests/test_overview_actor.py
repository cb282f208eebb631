"""``last_change_text`` names who made a chat's last change as the adapter shows a member
(Discord: a mention), and keeps the audit log's name, excerpted, for a caller that passes
no naming (Telegram's call)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from digests.models import Subscriber
from digests.overview import last_change_text

CHANGED = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def changed(by: str | None) -> Subscriber:
    base = Subscriber(id=1, platform="discord", chat_id="600", guild_id="500")
    return replace(base, last_change="subscribed: markets", changed_by=by, changed_at=CHANGED)


def test_the_adapter_names_the_member() -> None:
    text = last_change_text(changed("discord:43"), lambda by: "<@" + by.split(":")[1] + ">")
    assert text == "\nLast change: subscribed: markets by <@43> at 2026-11-27 12:00 UTC"


def test_without_a_naming_the_audit_name_is_shown_excerpted() -> None:
    assert "by telegram:43 at" in last_change_text(changed("telegram:43"))
    assert "\u202e" not in last_change_text(changed("cli:\u202eevil"))


def test_no_one_named_when_no_one_was_recorded() -> None:
    text = last_change_text(changed(None), lambda by: "never called " + by)
    assert text == "\nLast change: subscribed: markets at 2026-11-27 12:00 UTC"
