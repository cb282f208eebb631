"""Issue 19 items 9 and 10: who changed a chat's digest is recorded with the change (and
shown by /mysubs), a forgotten group leaves an audit row naming who; refusals are audited
once per actor a minute with a count; a reader who blocked the bot and writes again is
welcomed back."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from digests import actions
from digests.store import Store
from tests.conftest import NOW

SLASH = actions.Spelling()


async def test_each_change_records_what_who_and_when(categorised_store: Store) -> None:
    store = categorised_store
    group = await store.upsert_subscriber("telegram", "-42", now=NOW)
    later = NOW + timedelta(minutes=5)
    await actions.subscribe(store, group, ["climate"], now=NOW, spelling=SLASH, by="telegram:7")
    await actions.set_time(store, group, ["07:30"], now=later, spelling=SLASH, by="telegram:8")
    sub = await store.get_subscriber(group.id)
    assert (sub.last_change, sub.changed_by, sub.changed_at) == ("time 07:30", "telegram:8", later)
    text = await actions.describe(store, sub, spelling=SLASH)
    assert text.endswith("Last change: time 07:30 by telegram:8 at 2026-11-27 12:05 UTC")
    vi = await store.get_subscriber(group.id)
    await actions.set_language(store, vi, ["vi"], now=later, spelling=SLASH, by="telegram:8")
    described = await actions.describe(store, await store.get_subscriber(group.id), spelling=SLASH)
    assert "Thay đổi gần nhất: language vi bởi telegram:8 lúc 2026-11-27 12:05 UTC" in described
    # A group's changes are in the audit log too, with who made them.
    log = await store.audit_log()
    assert [(e.actor, e.action, e.detail) for e in reversed(log)] == [
        ("telegram:7", "change", "subscribed: climate"),
        ("telegram:8", "change", "time 07:30"),
        ("telegram:8", "change", "language vi"),
    ]
    assert {e.target for e in log} == {"telegram:-42"}


async def test_filters_pauses_and_presses_are_recorded(categorised_store: Store) -> None:
    store = categorised_store
    sub = await store.upsert_subscriber("discord", "900", now=NOW, guild_id="5")
    await actions.choose(store, sub, "markets", True, now=NOW, by="discord:1")
    sub = await store.get_subscriber(sub.id)
    assert (sub.last_change, sub.changed_by) == ("subscribed: markets", "discord:1")
    await actions.set_filter(store, sub, ["markets", "oil, gas"], now=NOW, spelling=SLASH, by="d:2")
    assert (await store.get_subscriber(sub.id)).last_change == "filter markets: oil, gas"
    await actions.pause(store, sub, now=NOW, spelling=SLASH, by="discord:3")
    assert (await store.get_subscriber(sub.id)).changed_by == "discord:3"


async def test_a_private_chat_changes_leave_no_audit_rows(categorised_store: Store) -> None:
    store = categorised_store
    sub = await store.upsert_subscriber("telegram", "42", now=NOW)
    await actions.subscribe(store, sub, ["climate"], now=NOW, spelling=SLASH, by="telegram:42")
    assert (await store.get_subscriber(sub.id)).changed_by == "telegram:42"
    await actions.forget(store, await store.get_subscriber(sub.id), by="telegram:42", now=NOW)
    assert await store.audit_log() == []


async def test_forgetting_a_group_leaves_an_audit_row_naming_who(categorised_store: Store) -> None:
    store = categorised_store
    group = await store.upsert_subscriber("telegram", "-77", now=NOW)
    reply = await actions.forget(store, group, by="telegram:9", now=NOW)
    assert reply.startswith("Done")
    [entry] = await store.audit_log()
    assert (entry.actor, entry.action, entry.target, entry.outcome) == (
        "telegram:9",
        "forget",
        "telegram:-77",
        "ok",
    )


async def test_refusals_are_one_row_per_actor_a_minute_with_a_count(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "a.db")
    other = await Store.open(tmp_path / "a.db")  # another process shares the row
    try:
        written = await asyncio.gather(
            *(
                s.audit_refusal(
                    actor="telegram:666",
                    platform="telegram",
                    action="press",
                    detail="not an admin",
                    now=NOW + timedelta(milliseconds=i),
                )
                for i, s in enumerate([store, other] * 250)
            )
        )
        assert written.count(True) == 1
        await store.audit_refusal(
            actor="telegram:1", platform="telegram", action="/news stats", now=NOW
        )
        # A minute after the first row, the next refusal opens a new one.
        await store.audit_refusal(
            actor="telegram:666",
            platform="telegram",
            action="press",
            now=NOW + timedelta(seconds=61),
            count=3,
        )
        rows = [(e.actor, e.count) for e in reversed(await store.audit_log())]
        assert rows == [("telegram:666", 500), ("telegram:1", 1), ("telegram:666", 3)]
    finally:
        await other.close()
        await store.close()


async def test_a_blocked_reader_who_writes_again_is_reactivated(store: Store) -> None:
    sub = await store.upsert_subscriber("telegram", "31", now=NOW)
    assert await actions.reactivate(store, sub, now=NOW) is None  # active: nothing to say
    await store.deactivate(
        sub.id, reason="delivery refused 3 times: Forbidden: bot was blocked by the user", now=NOW
    )
    blocked = await store.get_subscriber(sub.id)
    replies = await asyncio.gather(
        actions.reactivate(store, blocked, now=NOW), actions.reactivate(store, blocked, now=NOW)
    )
    assert sorted(replies, key=str) == [None, "Welcome back: your digests resume."]
    back = await store.get_subscriber(sub.id)
    assert back.active and back.inactive_reason is None
    # Telegram told the bot it was blocked (a my_chat_member update), the unblock was missed.
    await store.deactivate(sub.id, reason="blocked by the user", now=NOW)
    reply = await actions.reactivate(store, await store.get_subscriber(sub.id), now=NOW)
    assert reply == "Welcome back: your digests resume."
    # Stopped for another reason (an operator, a migration): writing does not restart it.
    await store.update_subscriber(sub.id, now=NOW, active=False, inactive_reason="by the admin")
    assert await actions.reactivate(store, await store.get_subscriber(sub.id), now=NOW) is None
    assert not (await store.get_subscriber(sub.id)).active
