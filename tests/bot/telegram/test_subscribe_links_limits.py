"""A subscribe link's reply within Telegram's limits when categories are many and large:
a code naming 100 categories with 48-character slugs and long names gets one reply of at
most 4096 characters whose keyboard Telegram takes (at most 100 buttons, callback data of
at most 64 bytes, buttons not too large together, as the fake checks), and every page of
its picker can be turned to."""

from __future__ import annotations

from bot.telegram.keyboards import (
    LABEL_CHARS,
    PICKER_BYTES,
    category_keyboard,
    page_starts,
)
from digests.actions import Toggle
from digests.models import Category
from tests.bot.telegram.conftest import TelegramBot
from tests.bot.telegram.test_subscribe_links import buttons, pressed
from tests.conftest import NOW
from tests.fakes import telegram_updates as tu
from tests.fakes.telegram_api import _parsed, markup_problem

WHERE = {"chat_id": 100, "user_id": 100}


def slug(number: int) -> str:
    return f"c{number:03d}-" + "x" * 43


async def test_a_code_naming_100_large_categories(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    for number in range(150):
        name = f"Category {number} " + "Đ" * 80  # cut on its button
        await bot.store.upsert_category(Category(slug(number), name, "", 10 + number))
    link = await bot.store.add_link([slug(n) for n in range(50, 150)], now=NOW)
    reply = await bot.say(tu.command(f"/start {link.code}", chat_id=100))
    assert len(reply["text"]) <= 4096
    assert markup_problem(reply["reply_markup"]) is None
    rows = buttons(reply)
    assert rows[-1] == [("📰 Send today's digest now", "now")]
    assert all(len(text) <= LABEL_CHARS + 3 for row in rows for text, _ in row)
    turn = next(text for row in rows for text, data in row if data.startswith("catp:"))
    pages = int(turn.split("/")[1].split()[0])
    # The reply opens on the page of the code's first category, ticked.
    assert any(text.startswith("✅ Category 50 ") for row in rows for text, _ in row)
    seen: list[str] = []
    for page in range(pages):
        _, edit = await bot.press(pressed(f"catp:{page}", reply, **WHERE))
        # The fake answers a markup Telegram refuses with an error; check it here too.
        markup = _parsed(edit["reply_markup"]) if edit else reply["reply_markup"]
        assert markup_problem(markup) is None
        shown = buttons({"reply_markup": markup})
        seen += [d for row in shown for t, d in row if d.startswith("cat:")]
        assert any(d == "now" for row in shown for _, d in row)  # still the link's reply
    ticked = sorted(d.split(":")[1] for d in seen if d.endswith(":0"))
    assert ticked == sorted(slug(n) for n in range(50, 150))
    assert len(seen) == len(set(seen)) == 153  # each category once, the fixture's three too


def test_pages_hold_what_fits_and_ticks_move_nothing() -> None:
    toggles = [Toggle(slug(n), "N" * (n % 90), False) for n in range(400)]
    starts = page_starts(toggles)
    ticked = [Toggle(t.slug, t.name, True) for t in toggles]
    assert page_starts(ticked) == starts
    for page in range(len(starts)):
        markup = category_keyboard(toggles, page).to_dict()
        assert markup_problem(markup) is None
        labels = [b["text"] for row in markup["inline_keyboard"] for b in row]
        size = sum(len(text.encode()) + 54 + 16 for text in labels if text.startswith("▫️"))
        assert size <= PICKER_BYTES
    one = [Toggle(slug(0), "N" * 5000, False)]
    assert page_starts(one) == [0] and markup_problem(category_keyboard(one).to_dict()) is None


def test_the_fake_refuses_what_telegram_refuses() -> None:
    many = {"inline_keyboard": [[{"text": "x", "callback_data": "x"}] for _ in range(101)]}
    long_data = {"inline_keyboard": [[{"text": "x", "callback_data": "x" * 65}]]}
    large = {"inline_keyboard": [[{"text": "N" * 60, "callback_data": "x" * 54}]] * 80}
    assert markup_problem(many) == markup_problem(large) == "Bad Request: reply markup is too long"
    assert markup_problem(long_data) == "Bad Request: BUTTON_DATA_INVALID"
