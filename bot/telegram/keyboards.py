"""The inline keyboards under the bot's messages and the callback data their buttons carry.

Each button kind has a pattern; ``bot.telegram.app`` routes each to its callback with one
``CallbackQueryHandler(callback, pattern=…)`` (python-telegram-bot's ``inlinekeyboard2``
shape), and the callback reads the named groups from ``context.matches``. A pattern takes
everything of its kind's prefix, so a forged or malformed press of that kind reaches its
callback, which parses the rest strictly and answers ("no such push"). Callback data is
at most 64 bytes: a slug (at most 48 characters), a page number, a time zone name, a
yes/no with a 12-character token, a token or a push id.

The picker shows at most ``PICKER_PAGE`` categories, fewer when their buttons are large
(``PICKER_BYTES``), with buttons to the previous and next pages when there are more:
Telegram refuses a keyboard of about 100 buttons, and one whose buttons are too large
together. A subscribe link's reply (``link_keyboard``) adds time zone buttons and "send
today's digest now" under the picker; a press on its picker keeps them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MaybeInaccessibleMessage, Message

from digests import actions

# A category slug is whatever the store holds; a removed one still reaches the callback,
# which says the category no longer exists. A picker button carries the state it asks for
# (":1" subscribe, ":0" unsubscribe), so a double tap does it once; an older button
# without it toggles.
CATEGORY = re.compile(r"cat:(?P<slug>.+?)(?::(?P<want>[01]))?\Z", re.S)
# "yes" carries the token /forget made; a "yes" without one (an old button, a forged
# press) reaches the callback too, which refuses it.
FORGET = re.compile(r"forget:(?P<answer>.*?)(?::(?P<token>[^:]*))?\Z", re.S)
# "push:no:<token>" is the preview's cancel button: it drops that preview, so a stale or
# replayed "send" of it finds nothing ("push:no" alone: a cancel drawn before it did).
PUSH = re.compile(r"push:(?:(?P<no>no)(?::|\Z))?(?P<token>.*)\Z", re.S)
PUSH_CANCEL = re.compile(r"pushcancel:(?P<push>.*)\Z", re.S)
# A push id as a cancel button carries it: what SQLite's integers hold.
PUSH_ID = re.compile(r"[1-9][0-9]{0,17}\Z")
# The picker's previous/next buttons: the page they show (parsed by ``page_number``).
CATEGORY_PAGE = re.compile(r"catp:(?P<page>.*)\Z", re.S)
PAGE_NUMBER = re.compile(r"(?:0|[1-9][0-9]{0,3})\Z")
# A time zone button under a subscribe link's reply: the zone's IANA name (at most 32
# characters in tzdata), checked again by the callback.
ZONE = re.compile(r"tz:(?P<zone>.*)\Z", re.S)
# "Send today's digest now" under a subscribe link's reply.
DIGEST_NOW = re.compile(r"now(?::.*)?\Z", re.S)
# Categories on one page of the picker: with the link reply's other buttons, well under
# the about 100 buttons Telegram takes in one keyboard.
PICKER_PAGE = 80
# Telegram also refuses a keyboard whose buttons are too large together ("reply markup is
# too long"). It publishes no figure; reports put the refusal near 8 KB of labels and data
# (99 buttons of 64-byte data, 100 of 60-character labels), which 80 categories with long
# slugs and names exceed. A page takes categories while their buttons (``_cost``) stay
# under PICKER_BYTES, leaving room for a link reply's time zone and digest buttons.
PICKER_BYTES = 5_500
# What a button costs beyond its label and data, as Telegram stores it.
BUTTON_BYTES = 16
# A category's button shows at most this much of its name (a phone shows less).
LABEL_CHARS = 64
# Time zone buttons in a row.
ZONES_PER_ROW = 3
# An offset zone ("Etc/GMT-7" is UTC+7: POSIX inverts the sign).
ETC_OFFSET = re.compile(r"Etc/GMT(?P<sign>[+-])(?P<hours>[1-9][0-9]?)")
MAX_DATA_BYTES = 64


def _name(item: actions.Toggle) -> str:
    name = item.name
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"


def _cost(item: actions.Toggle) -> int:
    """A category button's size in either state (the wider mark), so that ticking a
    category never moves the pages' bounds."""
    data = f"cat:{item.slug}:0"
    return len(f"▫️ {_name(item)}".encode()) + len(data.encode()) + BUTTON_BYTES


def page_starts(toggles: list[actions.Toggle]) -> list[int]:
    """Where each page of the picker starts: a page holds at most PICKER_PAGE categories
    whose buttons cost at most PICKER_BYTES together (one at least, whatever it costs)."""
    starts, size = [0], 0
    for index, item in enumerate(toggles):
        cost = _cost(item)
        if index > starts[-1] and (index - starts[-1] >= PICKER_PAGE or size + cost > PICKER_BYTES):
            starts.append(index)
            size = 0
        size += cost
    return starts


def page_of(toggles: list[actions.Toggle], slug: str | None) -> int:
    """The page that shows ``slug`` (the first page for a slug it does not show)."""
    for index, item in enumerate(toggles):
        if item.slug == slug:
            return sum(1 for start in page_starts(toggles) if start <= index) - 1
    return 0


def page_number(data: str) -> int | None:
    """The page a previous/next button names, or None for anything else (forged)."""
    return int(data) if PAGE_NUMBER.match(data) else None


def picker_rows(toggles: list[actions.Toggle], page: int = 0) -> list[list[InlineKeyboardButton]]:
    """One page of the picker: a button per category, ticked when the chat is subscribed
    (each asks for the other state), and the previous/next buttons when there are more
    pages. A page past the last shows the last."""
    starts = page_starts(toggles)
    pages = len(starts)
    page = min(max(page, 0), pages - 1)
    shown = toggles[starts[page] : starts[page + 1] if page + 1 < pages else len(toggles)]
    rows = [
        [
            InlineKeyboardButton(
                ("✅ " if item.subscribed else "▫️ ") + _name(item),
                callback_data=f"cat:{item.slug}:{0 if item.subscribed else 1}",
            )
        ]
        for item in shown
    ]
    turns = []
    if page > 0:
        turns.append(InlineKeyboardButton(f"◀️ {page}/{pages}", callback_data=f"catp:{page - 1}"))
    if page < pages - 1:
        turns.append(
            InlineKeyboardButton(f"{page + 2}/{pages} ▶️", callback_data=f"catp:{page + 1}")
        )
    if turns:
        rows.append(turns)
    return rows


def category_keyboard(toggles: list[actions.Toggle], page: int = 0) -> InlineKeyboardMarkup:
    """The picker (one page of it)."""
    return InlineKeyboardMarkup(picker_rows(toggles, page))


def zone_label(zone: str) -> str:
    """A zone as its button shows it: its place ("Ho Chi Minh"), or UTC; an ``Etc/GMT``
    zone as its offset from UTC ("UTC+7" for Etc/GMT-7, whose name has POSIX's sign)."""
    offset = ETC_OFFSET.fullmatch(zone)
    if offset is not None:
        return f"UTC{'-' if offset['sign'] == '+' else '+'}{offset['hours']}"
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def link_keyboard(
    toggles: list[actions.Toggle],
    page: int,
    zones: list[str],
    current_zone: str,
    digest_now: str,
) -> InlineKeyboardMarkup:
    """Under a subscribe link's reply: the picker, a button per time zone (the chat's
    own ticked), and "send today's digest now"."""
    rows = picker_rows(toggles, page)
    buttons = [
        InlineKeyboardButton(
            ("✅ " if zone == current_zone else "") + zone_label(zone), callback_data=f"tz:{zone}"
        )
        for zone in zones
        if len(f"tz:{zone}".encode()) <= MAX_DATA_BYTES
    ]
    rows += [buttons[i : i + ZONES_PER_ROW] for i in range(0, len(buttons), ZONES_PER_ROW)]
    rows.append([InlineKeyboardButton(digest_now, callback_data="now")])
    return InlineKeyboardMarkup(rows)


@dataclass(frozen=True)
class Shown:
    """What a pressed message's keyboard shows: the first category of its picker page,
    and a link reply's time zones (None for a plain picker)."""

    first_slug: str | None = None
    zones: list[str] | None = None


def shown_on(message: Message | MaybeInaccessibleMessage | None) -> Shown:
    """Read off the pressed message, so that a redraw keeps its page and, for a link
    reply, its other buttons; a message Telegram no longer shows gives a plain picker."""
    markup = getattr(message, "reply_markup", None)
    if not isinstance(markup, InlineKeyboardMarkup):
        return Shown()
    first, zones, link_reply = None, [], False
    for row in markup.inline_keyboard:
        for button in row:
            data = button.callback_data if isinstance(button.callback_data, str) else ""
            found = CATEGORY.match(data)
            if found and first is None:
                first = found["slug"]
            elif data.startswith("tz:"):
                zones.append(data.removeprefix("tz:"))
            elif DIGEST_NOW.match(data):
                link_reply = True
    return Shown(first, zones if link_reply else None)


def confirm_buttons(yes: str, yes_data: str, no: str, no_data: str) -> InlineKeyboardMarkup:
    """A yes/no pair of buttons for an action that needs confirming."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(yes, callback_data=yes_data),
                InlineKeyboardButton(no, callback_data=no_data),
            ]
        ]
    )


def forget_buttons(yes: str, no: str, token: str) -> InlineKeyboardMarkup:
    """/forget's question: "yes" carries the token of this request (``digests.confirm``)."""
    # "no" carries it too: answering "no" spends the token, so a stale "yes" does nothing.
    return confirm_buttons(yes, f"forget:yes:{token}", no, f"forget:no:{token}")


def push_id_of(data: str) -> int | None:
    """The push a cancel button names, or None for anything else (forged, malformed)."""
    return int(data) if PUSH_ID.match(data) else None


def push_buttons(send: str, token: str, cancel: str) -> InlineKeyboardMarkup:
    """Under a push's preview: send it (the pending push's token) or drop it."""
    return confirm_buttons(send, f"push:{token}", cancel, f"push:no:{token}")


def push_cancel_button(label: str, push_id: int) -> InlineKeyboardMarkup:
    """Under a push going out: stop it."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"pushcancel:{push_id}")]]
    )
