"""Subscribe links on Telegram, in-process against the fake Bot API: ``/start <payload>``
(from ``t.me/<bot>?start=``) and ``/start@<bot> <payload>`` in a group (``?startgroup=``)
subscribe the chat, count its sign-up once, and answer with the picker, time zone
buttons and "send today's digest now"; hostile payloads change nothing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from digests.links import SignupCount
from digests.models import Category
from tests.bot.telegram.conftest import GROUP, GROUP_ADMIN, TelegramBot
from tests.builders import add_article
from tests.conftest import NOW
from tests.fakes import telegram_updates as tu

BOT = "digest_test_bot"


def buttons(message: dict[str, Any]) -> list[list[tuple[str, str]]]:
    markup = message["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    return [[(b["text"], b["callback_data"]) for b in row] for row in markup["inline_keyboard"]]


def pressed(data: str, message: dict[str, Any], **where: Any) -> dict[str, Any]:
    """A press of a button under ``message``, which Telegram sends with its keyboard."""
    update = tu.press(data, message_id=message["message_id"], **where)
    markup = message["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    update["callback_query"]["message"]["reply_markup"] = markup
    return update


async def subscriptions(bot: TelegramBot, chat: int | str) -> tuple[str, ...] | None:
    found = await bot.store.find_subscriber("telegram", str(chat))
    return None if found is None else tuple(sorted(found.categories))


async def signups(bot: TelegramBot) -> list[tuple[str, ...]]:
    rows = await bot.store._fetchall("SELECT subscriber_id, link, source FROM signups")
    return [tuple(r) for r in rows]


async def test_a_new_readers_link_subscribes_with_one_reply(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    calls = await bot.handle(tu.command("/start ai-frontier", chat_id=100))
    assert [m for m, _ in calls] == ["sendMessage"]  # one reply carries it all
    reply = bot.fake.messages[-1]
    assert "Subscribed to AI Frontier." in reply["text"]
    assert "08:00 (UTC), every day" in reply["text"] and "/timezone Europe/London" in reply["text"]
    rows = buttons(reply)
    assert rows[:3] == [
        [("✅ AI Frontier", "cat:ai-frontier:0")],
        [("▫️ Climate", "cat:climate:1")],
        [("▫️ Markets", "cat:markets:1")],
    ]
    zones = [data for row in rows for _, data in row if data.startswith("tz:")]
    assert len(zones) == 6 and "tz:UTC" in zones and "tz:Asia/Ho_Chi_Minh" in zones
    assert ("✅ UTC", "tz:UTC") in [b for row in rows for b in row]
    assert rows[-1] == [("📰 Send today's digest now", "now")]
    assert all(len(data.encode()) <= 64 for row in rows for _, data in row)
    assert await subscriptions(bot, 100) == ("ai-frontier",)
    assert await bot.store.signup_counts() == [SignupCount("ai-frontier", "", 1)]


async def test_the_replys_buttons(telegram_bot: TelegramBot) -> None:
    """The time zone button sets the zone and ticks it; "now" sends the /digest preview;
    a picker press on the reply keeps its other buttons."""
    bot = telegram_bot
    await add_article(bot.store, url="https://a.example/heat", title="Heat record", now=NOW)
    reply = await bot.say(tu.command("/start climate", chat_id=100))
    where = {"chat_id": 100, "user_id": 100}
    answer, edit = await bot.press(pressed("tz:Asia/Ho_Chi_Minh", reply, **where))
    assert "Asia/Ho_Chi_Minh" in answer["text"]
    stored = await bot.store.find_subscriber("telegram", "100")
    assert stored is not None and stored.timezone == "Asia/Ho_Chi_Minh"
    redrawn = buttons(edit)
    assert ("✅ Ho Chi Minh", "tz:Asia/Ho_Chi_Minh") in [b for row in redrawn for b in row]
    assert redrawn[-1] == [("📰 Send today's digest now", "now")]

    before = len(bot.fake.messages)
    await bot.handle(pressed("now", reply, **where))
    (digest,) = bot.fake.messages[before:]
    assert "Your news digest" in digest["text"] and "Heat record" in digest["text"]
    after = await bot.store.find_subscriber("telegram", "100")
    assert after is not None and after.next_digest_at == stored.next_digest_at

    answer, edit = await bot.press(pressed("cat:markets:1", reply, **where))
    assert answer["text"] == "Subscribed to Markets."
    assert buttons(edit)[-1] == [("📰 Send today's digest now", "now")]
    assert await subscriptions(bot, 100) == ("climate", "markets")


async def test_a_code_tapped_50_times_at_once_subscribes_and_signs_up_once(
    telegram_bot: TelegramBot,
) -> None:
    bot = telegram_bot
    link = await bot.store.add_link(["climate", "markets"], source="website", now=NOW)
    taps = [bot.handle(tu.command(f"/start {link.code}", chat_id=100)) for _ in range(50)]
    await asyncio.gather(*taps)
    assert await subscriptions(bot, 100) == ("climate", "markets")
    rows = await bot.store._fetchall("SELECT COUNT(*) FROM subscriptions")
    assert rows[0][0] == 2
    assert await bot.store.signup_counts() == [SignupCount(link.code, "website", 1)]
    texts = [m["text"] for m in bot.fake.sent_to("100")]
    assert len(texts) == 50
    assert sum("Subscribed to Climate, Markets." in text for text in texts) == 1
    assert sum("already subscribed" in text for text in texts) == 49


async def test_a_link_adds_and_removes_nothing_and_a_subscriber_is_no_signup(
    telegram_bot: TelegramBot,
) -> None:
    bot = telegram_bot
    await bot.say(tu.command("/subscribe markets", chat_id=100))
    reply = await bot.say(tu.command("/start climate", chat_id=100))
    assert "Subscribed to Climate." in reply["text"]
    assert await subscriptions(bot, 100) == ("climate", "markets")
    assert await signups(bot) == []  # it had a subscription before the tap


async def test_a_group_admins_startgroup_subscribes_the_group(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    member = {"chat_id": GROUP, "user_id": 300, "kind": "group"}
    for _ in range(3):
        refused = await bot.handle(tu.command(f"/start@{BOT} climate", **member))
    texts = [m["text"] for m in bot.fake.sent_to(str(GROUP))]
    assert texts == [
        "Only this group's administrators can subscribe it: ask one of them to open the link."
    ]
    assert refused == []  # the later ones within the minute are not answered
    assert await subscriptions(bot, GROUP) is None
    audited = await bot.store._fetchall(
        "SELECT actor, action, count FROM audit WHERE outcome = 'refused'"
    )
    assert [tuple(r) for r in audited] == [("telegram:300", "subscribe", 3)]

    admin = {**member, "user_id": GROUP_ADMIN}
    reply = await bot.say(tu.command(f"/start@{BOT} climate", **admin))
    assert "Subscribed to Climate." in reply["text"]
    assert await subscriptions(bot, GROUP) == ("climate",)
    assert [(link, source) for _, link, source in await signups(bot)] == [("climate", "")]
    # The group's buttons are its admins' too.
    answer, edit = await bot.press(pressed("now", reply, **member))
    assert "administrators" in answer["text"] and not edit
    answer, _ = await bot.press(pressed("tz:Asia/Tokyo", reply, **member))
    assert "administrators" in answer["text"]
    stored = await bot.store.find_subscriber("telegram", str(GROUP))
    assert stored is not None and stored.timezone == "UTC"


async def test_a_link_for_another_bot_is_left_alone(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    calls = await bot.handle(
        tu.command("/start@other_bot climate", chat_id=GROUP, user_id=GROUP_ADMIN, kind="group")
    )
    assert calls == [] and await subscriptions(bot, GROUP) is None


HOSTILE = {
    "unknown category": ("nope", "names a category I don't have"),
    "65 characters": ("a" * 65, "does not work"),
    "bidi": ("\u202eclimate\u202c", "does not work"),
    "control": ("clim\x07ate", "does not work"),
    "5,000 digits": ("9" * 5000, "does not work"),
    "two words": ("climate markets", "does not work"),
    "lone surrogate": ("climate\ud800", "does not work"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
async def test_hostile_payloads_get_a_reply_and_change_nothing(
    telegram_bot: TelegramBot, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    bot = telegram_bot
    payload, said = HOSTILE[case]
    reply = await bot.say(tu.command(f"/start {payload}", chat_id=100))
    assert said in reply["text"] and "/categories" in reply["text"]
    assert len(reply["text"]) < 300 and "\u202e" not in reply["text"]
    assert "9999" not in reply["text"]
    assert await bot.store.find_subscriber("telegram", "100") is None
    assert await signups(bot) == []
    assert not [r for r in caplog.records if r.exc_info]


async def test_a_retired_code_is_no_longer_in_use(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    link = await bot.store.add_link(["climate"], source="print", now=NOW)
    await bot.store.retire_link(link.code, now=NOW)
    reply = await bot.say(tu.command(f"/start {link.code}", chat_id=100, language="vi"))
    assert "Liên kết này không còn được dùng nữa" in reply["text"]
    assert [row[0][1] for row in buttons(reply)] == [
        "cat:ai-frontier:1",
        "cat:climate:1",
        "cat:markets:1",
    ]
    assert await bot.store.find_subscriber("telegram", "100") is None
    assert await signups(bot) == []


async def test_vietnamese_reply(telegram_bot: TelegramBot) -> None:
    reply = await telegram_bot.say(tu.command("/start climate", chat_id=100, language="vi"))
    assert "Múi giờ khác?" in reply["text"]
    assert buttons(reply)[-1] == [("📰 Gửi bản tin hôm nay ngay", "now")]


async def test_forget_deletes_the_signup(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    await bot.say(tu.command("/start climate", chat_id=100))
    assert len(await signups(bot)) == 1
    asked = await bot.say(tu.command("/forget", chat_id=100))
    yes = buttons(asked)[0][0][1]
    await bot.press(tu.press(yes, chat_id=100, user_id=100, message_id=asked["message_id"]))
    assert await bot.store.find_subscriber("telegram", "100") is None
    assert await signups(bot) == []


async def test_the_picker_pages_150_categories(telegram_bot: TelegramBot) -> None:
    """Slugs of 48 characters: a page holds as many as fit Telegram's keyboard (the fake
    refuses more than 100 buttons, or buttons too large together)."""
    bot = telegram_bot
    for number in range(147):  # 150 with the three of the fixture, slugs of 48 characters
        slug = f"c{number:03d}-" + "x" * 43
        await bot.store.upsert_category(Category(slug, f"Category {number}", "", 10 + number))
    picker = await bot.say(tu.command("/categories", chat_id=100))
    rows = buttons(picker)
    pages = int(rows[-1][0][0].split("/")[1].split()[0])
    assert pages == 3 and rows[-1] == [("2/3 ▶️", "catp:1")]
    assert sum(len(row) for row in rows) <= 100
    assert all(len(data.encode()) <= 64 for row in rows for _, data in row)
    where = {"chat_id": 100, "user_id": 100}
    _, edit = await bot.press(pressed("catp:1", picker, **where))
    second = buttons(edit)
    assert second[-1] == [("◀️ 1/3", "catp:0"), ("3/3 ▶️", "catp:2")]
    shown = {data for row in rows + second for _, data in row if data.startswith("cat:")}
    assert len(shown) == len(rows) - 1 + len(second) - 1  # no category on two pages
    # One past the end shows the last page; a press there redraws the last page.
    _, edit = await bot.press(pressed("catp:9", picker, **where))
    last_page = buttons(edit)
    assert last_page[-1] == [("◀️ 2/3", "catp:1")]
    last = last_page[-2][0][1]
    assert last == "cat:c146-" + "x" * 43 + ":1"
    answer, edit = await bot.press(
        pressed(last, {**picker, "reply_markup": edit["reply_markup"]}, **where)
    )
    assert answer["text"] == "Subscribed to Category 146."
    assert buttons(edit)[-2][0][0] == "✅ Category 146"
    # A link to a category of a later page opens the reply on it.
    reply = await bot.say(tu.command("/start c140-" + "x" * 43, chat_id=100))
    shown_rows = buttons(reply)
    flat = [b for row in shown_rows for b in row]
    assert ("✅ Category 140", "cat:c140-" + "x" * 43 + ":0") in flat
    assert [text for text, data in flat if data.startswith("catp:")] == ["◀️ 2/3"]
    assert sum(len(row) for row in shown_rows) <= 100
    # A forged page number is refused.
    answer, edit = await bot.press(pressed("catp:x", picker, **where))
    assert "too old" in answer["text"] and not edit
