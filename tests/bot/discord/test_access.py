"""Who may change a Discord channel's digest, as a table."""

from __future__ import annotations

import pytest

from bot.discord.access import (
    Asker,
    BotRights,
    channel_refusal,
    may_change_channel,
    may_set_admin_role,
    missing_rights,
)

MEMBER = Asker(user_id=1, in_dm=False)


@pytest.mark.parametrize(
    ("asker", "admin_role", "allowed"),
    [
        (MEMBER, None, False),
        (MEMBER, 77, False),
        (Asker(1, in_dm=True), None, True),
        (Asker(1, in_dm=False, manage_channels=True), None, True),
        (Asker(1, in_dm=False, administrator=True), None, True),
        (Asker(1, in_dm=False, manage_guild=True), None, False),  # server, not channel
        (Asker(1, in_dm=False, role_ids=frozenset({77})), 77, True),
        (Asker(1, in_dm=False, role_ids=frozenset({77})), None, False),
        (Asker(1, in_dm=False, role_ids=frozenset({78})), 77, False),
    ],
)
def test_may_change_channel(asker: Asker, admin_role: int | None, allowed: bool) -> None:
    assert may_change_channel(asker, admin_role) is allowed


@pytest.mark.parametrize(
    ("asker", "allowed"),
    [
        (MEMBER, False),
        (Asker(1, in_dm=False, manage_channels=True), False),
        (Asker(1, in_dm=False, manage_guild=True), True),
        (Asker(1, in_dm=False, administrator=True), True),
        (Asker(1, in_dm=True, administrator=True), False),
    ],
)
def test_may_set_admin_role(asker: Asker, allowed: bool) -> None:
    assert may_set_admin_role(asker) is allowed


def test_refusals_name_what_is_missing() -> None:
    assert "Manage Channels" in channel_refusal("en", None)
    assert "<@&77>" in channel_refusal("en", 77)
    assert "<@&77>" in channel_refusal("vi", 77) and "Manage Channels" in channel_refusal("vi", 77)
    assert missing_rights(BotRights(True, True, True)) == []
    assert missing_rights(BotRights(False, True, False)) == ["View Channel", "Embed Links"]
    assert missing_rights(BotRights(True, False, True, in_thread=True)) == [
        "Send Messages in Threads"
    ]
