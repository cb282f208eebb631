"""Buttons under the bot's Telegram messages, in-process: the category picker, the /forget
confirmation, and a bot admin's /breaking preview with its confirmation, expiry, progress
and cancel buttons. Each kind is routed by its own pattern."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from digests.breaking import PUSH_CONFIRM_SECONDS
from tests.bot.telegram.conftest import BOT_ADMIN, GROUP, GROUP_ADMIN, TelegramBot
from tests.conftest import NOW
from tests.fakes import telegram_updates as tu
from tests.processes import until

ADMIN = {"chat_id": BOT_ADMIN, "user_id": BOT_ADMIN, "message_id": 1}
FOR_ADMINS = "This command is for the bot's administrators."


def keyboard(params: dict[str, Any]) -> list[list[tuple[str, str]]]:
    markup = params["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    return [[(b["text"], b["callback_data"]) for b in row] for row in markup["inline_keyboard"]]


def alerted(answer: dict[str, Any]) -> bool:
    return str(answer.get("show_alert")).lower() == "true"


async def test_the_picker_toggles_and_redraws(telegram_bot: TelegramBot) -> None:
    """An old button (no state in its data) still toggles."""
    bot = telegram_bot
    answer, edit = await bot.press(tu.press("cat:climate", chat_id=100, user_id=100, message_id=1))
    assert answer["text"] == "Subscribed to Climate." and not alerted(answer)
    assert keyboard(edit)[1] == [("✅ Climate", "cat:climate:0")]
    subscriber = await bot.store.find_subscriber("telegram", "100")
    assert subscriber is not None and subscriber.categories == ("climate",)
    answer, edit = await bot.press(tu.press("cat:climate", chat_id=100, user_id=100, message_id=2))
    assert answer["text"] == "Unsubscribed from Climate."
    assert keyboard(edit)[1] == [("▫️ Climate", "cat:climate:1")]


async def test_a_removed_category_and_a_stale_button(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    answer, _ = await bot.press(tu.press("cat:gone", chat_id=100, user_id=100, message_id=1))
    assert answer["text"] == "That category no longer exists."
    # Data no button kind matches (an older version's button) is only acknowledged.
    calls = await bot.handle(tu.press("old:thing", chat_id=100, user_id=100, message_id=1))
    assert [m for m, _ in calls] == ["answerCallbackQuery"]


async def test_group_buttons_are_for_its_admins(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    member = {"chat_id": GROUP, "user_id": 300, "message_id": 1, "kind": "group"}
    for data in ("cat:climate", "forget:yes", "forget:no"):
        answer, edit = await bot.press(tu.press(data, **member))
        assert alerted(answer) and "administrators" in answer["text"] and not edit
    assert await bot.store.find_subscriber("telegram", str(GROUP)) is None
    admin = {**member, "user_id": GROUP_ADMIN}
    answer, _ = await bot.press(tu.press("cat:climate", **admin))
    assert answer["text"] == "Subscribed to Climate."
    # A member's "yes" deletes nothing.
    await bot.press(tu.press("forget:yes", **member))
    assert await bot.store.find_subscriber("telegram", str(GROUP)) is not None


async def test_forget_asks_first(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    await bot.say(tu.command("/subscribe climate", chat_id=100))
    asked = await bot.say(tu.command("/forget", chat_id=100))
    [(yes_label, yes), no] = keyboard(asked)[0]
    token = yes.removeprefix("forget:yes:")
    assert yes_label == "Yes, delete everything" and no == ("No, keep it", f"forget:no:{token}")
    assert yes.startswith("forget:yes:") and len(yes.encode()) <= 64
    press = {"chat_id": 100, "user_id": 100, "message_id": asked["message_id"]}
    # A "no" drawn before it carried the token spends none.
    _, kept = await bot.press(tu.press("forget:no", **press))
    assert kept["text"] == "Nothing was deleted."
    assert await bot.store.find_subscriber("telegram", "100") is not None
    _, gone = await bot.press(tu.press(yes, **press))
    assert gone["text"].startswith("Done: everything stored about this chat")
    assert await bot.store.find_subscriber("telegram", "100") is None
    # The token is spent: a second press of the same button deletes nothing more.
    again, edit = await bot.press(tu.press(yes, **press))
    assert alerted(again) and "expired" in again["text"] and not edit


# --- a bot admin's breaking push ---------------------------------------------------------


async def preview(bot: TelegramBot, url: str = "https://n.example/flood", audience: int = 1) -> str:
    """/breaking by the bot admin; returns the confirm button's callback data."""
    calls = await bot.handle(tu.command(f"/breaking climate {url} Floods close", chat_id=999))
    shown, question = [c for m, c in calls if m == "sendMessage"]
    assert "Breaking news" in shown["text"] and "Floods close" in shown["text"]
    assert question["text"] == "Push this to every subscriber of climate on every platform?"
    ((send, data), cancel) = keyboard(question)[0]
    token = data.removeprefix("push:")
    assert send == f"Send to {audience} subscribers" and cancel == ("Cancel", f"push:no:{token}")
    assert data.startswith("push:") and len(data.encode()) <= 64
    return data


async def audit(bot: TelegramBot) -> list[tuple[str, str, str, str | None]]:
    rows = await bot.store._fetchall("SELECT actor, action, outcome, detail FROM audit ORDER BY id")
    return [tuple(r) for r in rows]


async def test_breaking_is_for_bot_admins(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    refused = await bot.say(tu.command("/breaking climate 3", chat_id=101))
    assert refused["text"] == FOR_ADMINS
    usage = await bot.say(tu.command("/breaking climate", chat_id=BOT_ADMIN))
    assert usage["text"].startswith("Use /breaking <category>")
    unknown = await bot.say(tu.command("/breaking nope https://n.example/x T", chat_id=BOT_ADMIN))
    assert "nope" in unknown["text"]
    assert await audit(bot) == [("telegram:101", "breaking", "refused", "not a bot admin")]


async def test_a_preview_is_confirmed_followed_and_cancelled(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    reader = await bot.store.upsert_subscriber("telegram", "100", now=NOW)
    await bot.store.subscribe(reader.id, ["climate"], now=NOW)
    data = await preview(bot)
    # Someone who is not a bot admin is refused (and audited); the token stays good.
    answer, edit = await bot.press(tu.press(data, chat_id=BOT_ADMIN, user_id=101, message_id=1))
    assert alerted(answer) and answer["text"] == FOR_ADMINS and not edit
    calls = await bot.handle(tu.press(data, **ADMIN))
    # The confirmation's own edit comes first; the following may already edit after it.
    edit = next(c for m, c in calls if m == "editMessageText")
    assert edit["text"].startswith("push #1 (climate, sending): 1 subscribers")
    assert keyboard(edit) == [[("Cancel the push", "pushcancel:1")]]
    # The progress is followed in the same message until the push is over.
    calls = await bot.handle(tu.press("pushcancel:1", **ADMIN))
    assert any("cancelled" in c["text"] for m, c in calls if m == "editMessageText")
    await until(
        lambda: [
            c
            for m, c in bot.fake.calls
            if m == "editMessageText" and "cancelled" in c["text"] and "reply_markup" not in c
        ]
    )
    assert [(actor, action, outcome) for actor, action, outcome, _ in await audit(bot)] == [
        ("telegram:101", "breaking", "refused"),
        ("telegram:999", "breaking", "ok"),
        ("telegram:999", "breaking.cancel", "ok"),
    ]


async def test_a_push_is_not_sent_when_dropped_late_or_by_another_admin(
    telegram_bot: TelegramBot,
) -> None:
    bot = telegram_bot
    bot.ctx.admin_ids = frozenset({BOT_ADMIN, 998})
    _, dropped = await bot.press(tu.press("push:no", **ADMIN))
    assert dropped["text"] == "Not sent."
    late = await preview(bot, audience=0)
    bot.clock.advance(timedelta(seconds=PUSH_CONFIRM_SECONDS + 1))
    _, edit = await bot.press(tu.press(late, **ADMIN))
    assert edit["text"] == "Not sent."
    assert await bot.store._fetchall("SELECT id FROM pushes") == []


async def test_another_admins_press_is_refused_audited_and_leaves_the_push(
    telegram_bot: TelegramBot,
) -> None:
    bot = telegram_bot
    bot.ctx.admin_ids = frozenset({BOT_ADMIN, 998})
    other = await preview(bot, audience=0)
    answer, edit = await bot.press(tu.press(other, chat_id=BOT_ADMIN, user_id=998, message_id=1))
    assert alerted(answer) and "previewed this push" in answer["text"] and not edit
    assert await bot.store._fetchall("SELECT id FROM pushes") == []
    # The push waits for its own admin, whose press sends it.
    _, edit = await bot.press(tu.press(other, **ADMIN))
    assert edit["text"].startswith("push #1 (climate")
    refused = ("telegram:998", "breaking", "refused", "another admin's push confirmation")
    assert (await audit(bot))[0] == refused


async def test_a_second_push_of_a_category_waits_for_the_first(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    reader = await bot.store.upsert_subscriber("telegram", "100", now=NOW)
    await bot.store.subscribe(reader.id, ["climate"], now=NOW)
    first, second = await preview(bot), await preview(bot, "https://n.example/second")
    await bot.handle(tu.press(first, **ADMIN))
    try:
        # The second preview is another message; the first push's progress edits its own.
        answer, edit = await bot.press(tu.press(second, **{**ADMIN, "message_id": 2}))
        assert alerted(answer) and answer["text"] and not edit
    finally:  # ends the first push's following, which the application's stop awaits
        await bot.handle(tu.press("pushcancel:1", **ADMIN))


async def test_a_push_whose_article_was_removed_meanwhile_is_not_sent(
    telegram_bot: TelegramBot,
) -> None:
    bot = telegram_bot
    data = await preview(bot, audience=0)
    # Retention removes articles published before a cutoff; this one goes while it waits.
    assert await bot.store.delete_articles_before(NOW + timedelta(days=1)) == 1
    _, edit = await bot.press(tu.press(data, **ADMIN))
    assert edit["text"] == "Not sent."
    assert await bot.store._fetchall("SELECT id FROM pushes") == []


async def test_forged_and_unreadable_buttons_are_only_acknowledged(
    telegram_bot: TelegramBot,
) -> None:
    bot = telegram_bot
    # Every malformed or unknown push id is answered, one route for the button kind.
    for forged in ("9" * 18, "abc", "9" * 20, "", "0", "-1", "1\n", "١"):
        answer, edit = await bot.press(tu.press("pushcancel:" + forged, **ADMIN))
        assert alerted(answer) and answer["text"] == "No such push." and not edit
    answer, edit = await bot.press(tu.press("cat:\ud800", chat_id=100, user_id=100, message_id=1))
    assert "text" not in answer and not edit
    assert await bot.store.find_subscriber("telegram", "100") is None
