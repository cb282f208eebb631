"""The Telegram commands in-process: the real Application and its handlers, updates built as
Telegram sends them, answers recorded by the fake Bot API, a real store. Who may change a
group's digest, what each reader command answers, and the bot admins' /stats."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.bot.telegram.conftest import BOT_ADMIN, GROUP, GROUP_ADMIN, TelegramBot
from tests.builders import add_article
from tests.conftest import NOW
from tests.fakes import telegram_updates as tu

REFUSAL = "Only this group's administrators can change its digest."


def picker(message: dict[str, object]) -> list[tuple[str, str]]:
    markup = message["reply_markup"]
    assert isinstance(markup, dict)
    return [(row[0]["text"], row[0]["callback_data"]) for row in markup["inline_keyboard"]]


async def test_start_welcomes_with_the_category_picker(telegram_bot: TelegramBot) -> None:
    welcome = await telegram_bot.say(tu.command("/start", chat_id=100))
    assert "Welcome to digestbot!" in welcome["text"] and welcome["parse_mode"] == "HTML"
    assert picker(welcome) == [
        ("▫️ AI Frontier", "cat:ai-frontier:1"),
        ("▫️ Climate", "cat:climate:1"),
        ("▫️ Markets", "cat:markets:1"),
    ]
    # /start only shows: nothing is stored until the reader chooses.
    assert await telegram_bot.store.find_subscriber("telegram", "100") is None


async def test_a_reader_subscribes_sets_a_time_and_lists_it(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    done = await bot.say(tu.command("/subscribe climate", chat_id=100))
    assert done["text"] == "Subscribed to Climate."
    assert "07:30" in (await bot.say(tu.command("/time 07:30", chat_id=100)))["text"]
    assert "HH:MM" in (await bot.say(tu.command("/time 99:99", chat_id=100)))["text"]
    zone = await bot.say(tu.command("/timezone Asia/Saigon", chat_id=100))
    assert "Asia/Ho_Chi_Minh" in zone["text"]
    listed = await bot.say(tu.command("/mysubs", chat_id=100))
    assert "Climate" in listed["text"] and "07:30 (Asia/Ho_Chi_Minh)" in listed["text"]
    again = await bot.say(tu.command("/categories", chat_id=100))
    assert again["text"] == "Tap to subscribe or unsubscribe:"
    assert ("✅ Climate", "cat:climate:0") in picker(again)
    paused = await bot.say(tu.command("/pause", chat_id=100))
    assert paused["text"]
    subscriber = await bot.store.find_subscriber("telegram", "100")
    assert subscriber is not None and subscriber.paused


async def test_help_and_vietnamese_and_unknown_commands(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    shown = await bot.say(tu.command("/help", chat_id=42))
    assert "/timezone" in shown["text"] and shown["parse_mode"] == "HTML"
    hello = await bot.say(tu.command("/start", chat_id=700, language="vi"))
    assert "Chào mừng" in hello["text"]
    missing = await bot.say(tu.command("/subscribe nope", chat_id=700, language="vi"))
    assert "Không có chuyên mục: nope" in missing["text"]
    unknown = await bot.say(tu.command("/frobnicate", chat_id=700, language="vi"))
    assert "/help" in unknown["text"]


@pytest.mark.parametrize("command", ["/mysubs", "/digest"])
async def test_nothing_to_show_without_subscriptions(
    telegram_bot: TelegramBot, command: str
) -> None:
    answer = await telegram_bot.say(tu.command(command, chat_id=100))
    assert answer["text"] == "You have no subscriptions yet. Use /categories to pick some."


async def test_digest_previews_without_moving_the_schedule(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    await add_article(bot.store, url="https://a.example/heat", title="Heat record", now=NOW)
    await bot.say(tu.command("/subscribe climate", chat_id=100))
    before = await bot.store.find_subscriber("telegram", "100")
    preview = await bot.say(tu.command("/digest", chat_id=100))
    assert "Your news digest" in preview["text"] and "Heat record" in preview["text"]
    # The same rule as a delivered digest: the lead story previewed, large, above the text.
    assert preview["link_preview_options"] == {
        "url": "https://a.example/heat",
        "prefer_large_media": True,
        "show_above_text": True,
    }
    after = await bot.store.find_subscriber("telegram", "100")
    assert before is not None and after is not None
    assert after.next_digest_at == before.next_digest_at


async def test_an_edited_command_is_not_run_again(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    await bot.say(tu.command("/subscribe climate", chat_id=800))
    calls = await bot.handle(tu.command("/pause", chat_id=800, edited=True))
    assert calls == []  # processed to the end: no handler took it
    subscriber = await bot.store.find_subscriber("telegram", "800")
    assert subscriber is not None and not subscriber.paused


# --- who may change a group: every changing command ----------------------------------

CHANGES = [
    "/subscribe climate",
    "/unsubscribe all",
    "/time 07:30",
    "/timezone Asia/Ho_Chi_Minh",
    "/frequency weekdays",
    "/filter climate heat",
    "/pause",
    "/resume",
    "/language vi",
    "/forget",
]


@pytest.mark.parametrize("command", CHANGES)
async def test_a_group_member_cannot_change_the_group(
    telegram_bot: TelegramBot, command: str
) -> None:
    answer = await telegram_bot.say(tu.command(command, chat_id=GROUP, user_id=300, kind="group"))
    assert answer["text"] == REFUSAL
    assert await telegram_bot.store.find_subscriber("telegram", str(GROUP)) is None


@pytest.mark.parametrize("command", CHANGES)
async def test_group_admins_and_channels_may_change(
    telegram_bot: TelegramBot, command: str
) -> None:
    bot = telegram_bot
    admin = await bot.say(tu.command(command, chat_id=GROUP, user_id=GROUP_ADMIN, kind="group"))
    assert admin["text"] and admin["text"] != REFUSAL
    # In a channel only admins can post, so a post is always allowed.
    channel = await bot.say(tu.command(command, chat_id=-500, kind="channel"))
    assert channel["text"] and channel["text"] != REFUSAL


async def test_a_group_admin_answer_is_kept_a_while(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    group = {"chat_id": GROUP, "user_id": GROUP_ADMIN, "kind": "group"}
    await bot.say(tu.command("/subscribe climate", **group))
    await bot.say(tu.command("/subscribe markets", **group))
    asked = [c for m, c in bot.fake.calls if m == "getChatMember"]
    assert len(asked) == 1
    bot.clock.advance(timedelta(minutes=6))
    await bot.say(tu.command("/pause", **group))
    assert len([c for m, c in bot.fake.calls if m == "getChatMember"]) == 2
    # Reading commands are for everyone.
    listed = await bot.say(tu.command("/mysubs", chat_id=GROUP, user_id=300, kind="group"))
    assert "Climate" in listed["text"] and "Markets" in listed["text"]


async def test_a_forum_topic_is_its_own_subscriber(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    bot.fake.admins["-1009"] = {5}
    topic = {"chat_id": -1009, "user_id": 5, "kind": "supergroup", "forum": True}
    done = await bot.say(tu.command("/subscribe climate", thread=55, **topic))
    assert done["text"] == "Subscribed to Climate." and done["message_thread_id"] == "55"
    subscriber = await bot.store.find_subscriber("telegram", "-1009", "55")
    assert subscriber is not None and subscriber.categories == ("climate",)
    assert await bot.store.find_subscriber("telegram", "-1009") is None


async def test_stats_are_for_bot_admins(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    refused = await bot.say(tu.command("/stats", chat_id=700, language="vi"))
    assert "quản trị viên" in refused["text"]
    shown = await bot.say(tu.command("/stats", chat_id=BOT_ADMIN))
    assert "subscribers: " in shown["text"]


# --- hostile input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["/timezone Asia/\ud800", "/subscribe \ud800", "/breaking climate https://x.example/\ud800"],
)
async def test_a_lone_surrogate_is_dropped_before_any_handler(
    telegram_bot: TelegramBot, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Echoed in a reply it could not be sent (UTF-8 has no lone surrogates).
    calls = await telegram_bot.handle(tu.command(text, chat_id=BOT_ADMIN))
    assert calls == []
    assert "dropped: text contains a lone surrogate" in caplog.text
    assert not [r for r in caplog.records if r.exc_info]
    assert await telegram_bot.store.find_subscriber("telegram", str(BOT_ADMIN)) is None


@pytest.mark.parametrize(
    "text",
    [
        "/time " + "9" * 5000,
        "/frequency " + "1" * 5000,
        "/subscribe \u202eclimate\u202c",
        "/breaking climate " + "9" * 5000,
        "/breaking climate https://x.example/" + "a" * 5000 + " T",
    ],
)
async def test_huge_and_bidi_arguments_get_a_short_answer(
    telegram_bot: TelegramBot, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    answer = await telegram_bot.say(tu.command(text, chat_id=BOT_ADMIN))
    assert 0 < len(answer["text"]) <= 1000 and "\n" not in answer["text"]
    assert not [r for r in caplog.records if r.exc_info]
