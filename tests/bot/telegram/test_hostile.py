"""Issue 19 on Telegram, in-process against the fake Bot API: what a hostile or careless
member can reach from a chat. Buttons in channels are for the channel's admins; /forget's
"yes" belongs to the /forget that asked; commands for another bot are left alone; a group
that became a supergroup is followed; long replies are split; no-op edits and late
answers are taken as done; invalid input from a new chat stores nothing."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest

from digests.models import Category
from tests.bot.telegram.conftest import BOT_ADMIN, GROUP, GROUP_ADMIN, TelegramBot
from tests.bot.telegram.test_buttons import ADMIN, alerted, keyboard, preview
from tests.conftest import NOW
from tests.fakes import telegram_updates as tu
from tests.processes import until

CHANNEL = -100500
CHANNEL_ADMIN = 501
SUPERGROUP = -100200


@pytest.fixture
def channel(telegram_bot: TelegramBot) -> TelegramBot:
    telegram_bot.fake.chat_types[str(CHANNEL)] = "channel"
    telegram_bot.fake.admins[str(CHANNEL)] = {CHANNEL_ADMIN}
    return telegram_bot


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def categories_of(bot: TelegramBot, chat: int) -> tuple[str, ...] | None:
    found = await bot.store.find_subscriber("telegram", str(chat))
    return None if found is None else found.categories


# --- item 1: only admins change a channel, buttons included ------------------------------


async def test_a_reader_pressing_a_channel_posts_buttons_is_refused(channel: TelegramBot) -> None:
    bot = channel
    done = await bot.say(tu.command("/subscribe climate", chat_id=CHANNEL, kind="channel"))
    assert done["text"] == "Subscribed to Climate."
    reader = {"chat_id": CHANNEL, "user_id": 77, "message_id": 1, "kind": "channel"}
    for data in ("cat:climate", "cat:ai-frontier", "forget:yes", "forget:no"):
        answer, edit = await bot.press(tu.press(data, **reader))
        assert alerted(answer) and "administrators" in answer["text"] and not edit
    assert await categories_of(bot, CHANNEL) == ("climate",)
    answer, _ = await bot.press(tu.press("cat:markets", **{**reader, "user_id": CHANNEL_ADMIN}))
    assert answer["text"] == "Subscribed to Markets."


async def test_forget_yes_needs_the_token_of_a_forget_asked_in_that_chat(
    channel: TelegramBot,
) -> None:
    bot = channel
    await bot.say(tu.command("/subscribe climate", chat_id=CHANNEL, kind="channel"))
    admin = {"chat_id": CHANNEL, "user_id": CHANNEL_ADMIN, "message_id": 1, "kind": "channel"}
    # No /forget was asked: neither a bare "yes" nor a made-up token deletes anything.
    for forged in ("forget:yes", "forget:yes:AAAAAAAAAAAA", "forget:yes:"):
        answer, edit = await bot.press(tu.press(forged, **admin))
        assert alerted(answer) and not edit
    assert await categories_of(bot, CHANNEL) == ("climate",)
    # A token asked for in another chat is not this chat's.
    await bot.say(tu.command("/subscribe climate", chat_id=100))
    elsewhere = keyboard(await bot.say(tu.command("/forget", chat_id=100)))[0][0][1]
    answer, edit = await bot.press(tu.press(elsewhere, **admin))
    assert alerted(answer) and answer["text"] == "This confirmation is not yours." and not edit
    asked = await bot.say(tu.command("/forget", chat_id=CHANNEL, kind="channel"))
    yes = keyboard(asked)[0][0][1]
    _, edit = await bot.press(tu.press(yes, **admin))
    assert edit["text"].startswith("Done: everything stored about this chat")
    assert await categories_of(bot, CHANNEL) is None
    assert await categories_of(bot, 100) == ("climate",)


async def test_any_group_admin_confirms_a_groups_forget_and_it_expires(
    telegram_bot: TelegramBot,
) -> None:
    bot = telegram_bot
    bot.fake.admins[str(GROUP)] = {GROUP_ADMIN, 302}
    group = {"chat_id": GROUP, "kind": "group"}
    await bot.say(tu.command("/subscribe climate", user_id=GROUP_ADMIN, **group))
    asked = await bot.say(tu.command("/forget", user_id=GROUP_ADMIN, **group))
    yes = keyboard(asked)[0][0][1]
    bot.clock.advance(timedelta(minutes=11))
    answer, edit = await bot.press(tu.press(yes, user_id=GROUP_ADMIN, message_id=1, **group))
    assert alerted(answer) and "expired" in answer["text"] and not edit
    assert await categories_of(bot, GROUP) == ("climate",)
    asked = await bot.say(tu.command("/forget", user_id=GROUP_ADMIN, **group))
    yes = keyboard(asked)[0][0][1]
    _, edit = await bot.press(tu.press(yes, user_id=302, message_id=1, **group))
    assert edit["text"].startswith("Done: everything stored about this chat")
    assert await categories_of(bot, GROUP) is None


# --- item 4: every reply fits, every press is answered ----------------------------------


async def test_mysubs_with_every_filter_full_is_split_across_messages(
    telegram_bot: TelegramBot,
) -> None:
    bot = telegram_bot
    await bot.store.upsert_category(Category("science", "Science", "", 3))
    slugs = ["ai-frontier", "climate", "markets", "science"]
    await bot.say(tu.command("/subscribe " + " ".join(slugs), chat_id=100))
    for n, slug in enumerate(slugs):
        words = ",".join(f"{n}{i:02d}" + "k" * 47 for i in range(20))
        done = await bot.say(tu.command(f"/filter {slug} {words}", chat_id=100))
        assert "only stories mentioning" in done["text"]
    before = len(bot.fake.messages)
    await bot.handle(tu.command("/mysubs", chat_id=100))
    parts = [m["text"] for m in bot.fake.messages[before:]]
    assert len(parts) >= 2 and all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in parts)
    shown = "\n".join(parts)
    assert all(f"{n}19" + "k" * 47 in shown for n in range(4))


async def test_a_bot_admins_breaking_with_a_huge_url_gets_a_short_answer(
    telegram_bot: TelegramBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot = telegram_bot
    url = "https://n.example/" + "a" * 4022
    for command in (
        f"/breaking climate {url}",
        f"/breaking {'c' * 4030} {url} T",
        f"/breaking cli\u202emate{'e' * 4000} {url} T",
    ):
        answer = await bot.say(tu.command(command, chat_id=BOT_ADMIN))
        # Quoted as an excerpt: short, and no bidi control reorders the reply.
        assert 0 < len(answer["text"]) <= 400 and "\u202e" not in answer["text"]
    assert errors(caplog) == []


async def test_a_double_tap_and_a_late_answer_are_taken_as_done(
    telegram_bot: TelegramBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot = telegram_bot
    asked = await bot.say(tu.command("/forget", chat_id=100))
    press = {"chat_id": 100, "user_id": 100, "message_id": asked["message_id"]}
    _, edit = await bot.press(tu.press("forget:no", **press))
    assert edit["text"] == "Nothing was deleted."
    # The same edit again: Telegram answers 400 "message is not modified".
    calls = await bot.handle(tu.press("forget:no", **press))
    assert [m for m, _ in calls] == ["answerCallbackQuery", "editMessageText"]
    # A press answered too late: Telegram refuses the answer ("query is too old").
    bot.fake.too_old.add("late-1")
    await bot.handle(tu.press("cat:climate", query_id="late-1", **press))
    assert await categories_of(bot, 100) == ("climate",)
    assert errors(caplog) == []


async def test_the_fake_refuses_no_op_edits_and_late_answers(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot.application.bot
    sent = await bot.send_message(100, "hello")
    await bot.edit_message_text("changed", chat_id=100, message_id=sent.message_id)
    with pytest.raises(Exception, match="not modified"):
        await bot.edit_message_text("changed", chat_id=100, message_id=sent.message_id)
    telegram_bot.fake.too_old.add("q1")
    with pytest.raises(Exception, match="too old"):
        await bot.answer_callback_query("q1")
    await bot.answer_callback_query("q2")
    with pytest.raises(Exception, match="too old"):
        await bot.answer_callback_query("q2")


async def outbox_status(bot: TelegramBot, status: str) -> None:
    """Entries 1 and 2 as the delivery worker would leave them (no worker runs here)."""
    async with bot.store._transaction() as db:
        await db.execute("UPDATE outbox SET status = ? WHERE id IN (1, 2)", (status,))


async def test_a_cancelled_push_shows_its_final_counts(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    for chat in ("100", "101", "102"):
        reader = await bot.store.upsert_subscriber("telegram", chat, now=NOW)
        await bot.store.subscribe(reader.id, ["climate"], now=NOW)
    data = await preview(bot, audience=3)
    await bot.handle(tu.press(data, **ADMIN))
    # Two sends are under way when the push is cancelled; the third is never sent.
    await outbox_status(bot, "sending")
    calls = await bot.handle(tu.press("pushcancel:1", **ADMIN))
    # The cancel's own edit; the progress following in the background may edit meanwhile.
    shown = [c["text"] for m, c in calls if m == "editMessageText"]
    assert any("cancelled" in text and "2 pending" in text for text in shown), shown

    def cancelled_with_two_pending() -> int:
        edits = [c["text"] for m, c in bot.fake.calls if m == "editMessageText"]
        return sum(1 for text in edits if "cancelled" in text and "2 pending" in text)

    # The progress message's following has seen the cancel too (its edit is the same).
    await until(lambda: cancelled_with_two_pending() >= 2)
    await outbox_status(bot, "sent")
    await until(
        lambda: [
            c
            for m, c in bot.fake.calls
            if m == "editMessageText" and "2 delivered" in c["text"] and "0 pending" in c["text"]
        ]
    )


# --- item 5: commands for another bot are ignored -----------------------------------------


@pytest.mark.parametrize(
    "where", [{"chat_id": 100}, {"chat_id": GROUP, "user_id": 300, "kind": "group"}]
)
async def test_a_command_for_another_bot_is_left_alone(
    telegram_bot: TelegramBot, where: dict[str, Any]
) -> None:
    bot = telegram_bot
    for text in ("/start@other_bot", "/frobnicate@other_bot", "/subscribe@OtherBot climate"):
        calls = await bot.handle(tu.command(text, **where))
        assert calls == []
    mine = await bot.say(tu.command("/frobnicate@Digest_Test_Bot", **where))
    assert "I don't know that command" in mine["text"]


# --- item 7: a group migration is followed everywhere -------------------------------------


async def test_updates_from_a_migrated_groups_old_id_act_on_the_new_chat(
    telegram_bot: TelegramBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot = telegram_bot
    admin = {"chat_id": GROUP, "user_id": GROUP_ADMIN, "kind": "group"}
    await bot.say(tu.command("/subscribe climate", **admin))
    asked = await bot.say(tu.command("/forget", **admin))
    yes = keyboard(asked)[0][0][1]
    bot.fake.migrated[str(GROUP)] = str(SUPERGROUP)
    bot.fake.admins[str(SUPERGROUP)] = {GROUP_ADMIN}
    await bot.handle(tu.migrated_from(chat_id=SUPERGROUP, old=GROUP))
    assert await categories_of(bot, SUPERGROUP) == ("climate",)
    # A command still queued from the old id changes the new chat and is answered there.
    before = len(bot.fake.messages)
    await bot.handle(tu.command("/subscribe markets", **admin))
    (answer,) = bot.fake.messages[before:]
    assert answer["chat_id"] == str(SUPERGROUP) and answer["text"] == "Subscribed to Markets."
    assert await categories_of(bot, SUPERGROUP) == ("climate", "markets")
    assert await categories_of(bot, GROUP) is None  # no orphan row for the dead id
    # The /forget asked before the migration is confirmed after it: the chat is deleted.
    answer, _ = await bot.press(tu.press(yes, message_id=asked["message_id"], **admin))
    assert not alerted(answer)
    assert await categories_of(bot, SUPERGROUP) is None
    assert errors(caplog) == []


async def test_a_migration_learned_from_telegrams_answer_is_followed(
    telegram_bot: TelegramBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot = telegram_bot
    admin = {"chat_id": GROUP, "user_id": GROUP_ADMIN, "kind": "group"}
    await bot.say(tu.command("/subscribe climate", **admin))
    bot.ctx._admins.clear()
    # The bot never saw the service message; Telegram's answers name the new chat.
    bot.fake.migrated[str(GROUP)] = str(SUPERGROUP)
    bot.fake.admins[str(SUPERGROUP)] = {GROUP_ADMIN}
    before = len(bot.fake.messages)
    await bot.handle(tu.command("/time 07:30", **admin))
    (answer,) = bot.fake.messages[before:]
    assert answer["chat_id"] == str(SUPERGROUP) and "07:30" in answer["text"]
    moved = await bot.store.find_subscriber("telegram", str(SUPERGROUP))
    assert moved is not None and moved.digest_time == "07:30"
    assert await categories_of(bot, GROUP) is None
    assert errors(caplog) == []


# --- item 10: a new chat's invalid input stores nothing -----------------------------------


async def test_invalid_input_and_forged_buttons_from_a_new_chat_store_nothing(
    telegram_bot: TelegramBot,
) -> None:
    bot = telegram_bot
    assert "HH:MM" in (await bot.say(tu.command("/time 25:99", chat_id=555)))["text"]
    answer, _ = await bot.press(tu.press("cat:gone", chat_id=556, user_id=556, message_id=1))
    assert answer["text"] == "That category no longer exists."
    await bot.handle(tu.press("forget:yes", chat_id=557, user_id=557, message_id=1))
    answer, _ = await bot.press(tu.press("cat:climate:0", chat_id=558, user_id=558, message_id=1))
    assert answer["text"] == "Unsubscribed from Climate."  # nothing to leave, nothing stored
    rows = await bot.store._fetchall("SELECT chat_id FROM subscribers")
    assert rows == []


# --- picker buttons carry the state they ask for; refusals are audited once a minute ------


async def test_a_double_tap_on_the_picker_subscribes_once(
    telegram_bot: TelegramBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot = telegram_bot
    shown = await bot.say(tu.command("/categories", chat_id=100))
    data = keyboard(shown)[1][0][1]
    assert data == "cat:climate:1"
    press = {"chat_id": 100, "user_id": 100, "message_id": shown["message_id"]}
    for _ in range(2):  # the second press redraws the same keyboard: "not modified"
        answer, _ = await bot.press(tu.press(data, **press))
        assert answer["text"] == "Subscribed to Climate."
    assert await categories_of(bot, 100) == ("climate",)
    answer, _ = await bot.press(tu.press("cat:climate:0", **press))
    assert await categories_of(bot, 100) == ()
    assert errors(caplog) == []


async def test_forged_push_presses_are_audited_once_a_minute_with_a_count(
    telegram_bot: TelegramBot,
) -> None:
    bot = telegram_bot
    for n in range(30):
        answer, _ = await bot.press(
            tu.press(f"push:forged{n}", chat_id=101, user_id=101, message_id=1)
        )
        assert alerted(answer)
    rows = await bot.store._fetchall("SELECT actor, outcome, count FROM audit")
    assert [tuple(r) for r in rows] == [("telegram:101", "refused", 30)]


async def test_a_reader_who_blocked_the_bot_and_writes_again_is_welcomed_back(
    telegram_bot: TelegramBot,
) -> None:
    bot = telegram_bot
    await bot.say(tu.command("/subscribe climate", chat_id=100))
    await bot.handle(tu.bot_status("kicked", chat_id=100))
    stopped = await bot.store.find_subscriber("telegram", "100")
    assert stopped is not None and not stopped.active
    before = len(bot.fake.messages)
    await bot.handle(tu.command("/mysubs", chat_id=100))
    texts = [m["text"] for m in bot.fake.messages[before:]]
    assert "Welcome back: your digests resume." in texts and len(texts) == 2
    back = await bot.store.find_subscriber("telegram", "100")
    assert back is not None and back.active
    # Said once: the next command gets only its own answer.
    assert "Climate" in (await bot.say(tu.command("/mysubs", chat_id=100)))["text"]


async def test_a_press_whose_handler_fails_is_still_answered(
    telegram_bot: TelegramBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    bot = telegram_bot

    async def broken() -> None:
        raise RuntimeError("the store failed once")

    monkeypatch.setattr(bot.store, "list_categories", broken)
    answer, edit = await bot.press(
        tu.press("cat:climate:1", chat_id=100, user_id=100, message_id=1)
    )
    assert "text" not in answer and not edit
    assert any("the store failed once" in line for line in errors(caplog))
