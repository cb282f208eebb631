"""The inline keyboards under the bot's messages and the callback data their buttons carry.

Each button kind has a pattern; ``bot.telegram.app`` routes each to its callback with one
``CallbackQueryHandler(callback, pattern=…)`` (python-telegram-bot's ``inlinekeyboard2``
shape), and the callback reads the named groups from ``context.matches``. A pattern takes
everything of its kind's prefix, so a forged or malformed press of that kind reaches its
callback, which parses the rest strictly and answers ("no such push"). Callback data is
at most 64 bytes: a slug, a yes/no with a 12-character token, a token or a push id.
"""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

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


def category_keyboard(toggles: list[actions.Toggle]) -> InlineKeyboardMarkup:
    """The picker: one button per category, ticked when the chat is subscribed; each
    asks for the other state."""
    rows = [
        [
            InlineKeyboardButton(
                ("✅ " if item.subscribed else "▫️ ") + item.name,
                callback_data=f"cat:{item.slug}:{0 if item.subscribed else 1}",
            )
        ]
        for item in toggles
    ]
    return InlineKeyboardMarkup(rows)


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
