"""Who did something on Telegram, as the audit log names them (``actor_of``), and how a
reply such as /mysubs shows that name (``actor_shown_in``).

A member is ``telegram:<user id>``. A channel post has no sender but the channel: it was
one of the channel's administrators, named ``telegram:channel:<chat id>`` (with the post's
author signature after it when the channel signs its posts). An anonymous group admin
posts as the group itself: ``telegram:group:<chat id>``.

A leaf: ``bot.telegram.context`` imports it.
"""

from __future__ import annotations

from collections.abc import Callable

from telegram import Update
from telegram.constants import ChatType

from digests.echo import excerpt
from digests.i18n import t

PLATFORM = "telegram"
# How much of a channel's author signature the audit name keeps.
SIGNATURE_CHARS = 64


def actor_of(update: Update) -> str:
    """Who did it, as the audit log names them (see the module's docstring)."""
    message, chat = update.effective_message, update.effective_chat
    if update.callback_query is None and message is not None and chat is not None:
        sender = message.sender_chat
        if sender is not None and sender.id == chat.id:
            if chat.type == ChatType.CHANNEL:
                signed = (message.author_signature or "")[:SIGNATURE_CHARS]
                return f"{PLATFORM}:channel:{chat.id}" + (f":{signed}" if signed else "")
            return f"{PLATFORM}:group:{chat.id}"
    user = update.effective_user
    return f"{PLATFORM}:{user.id if user else '?'}"


def actor_shown_in(language: str) -> Callable[[str], str]:
    """``actor_shown`` for ``digests.overview``: a channel's or an anonymous admin's audit
    name said in words, in ``language``; a member's (or the CLI's, the API's) as the audit
    log names them, excerpted."""

    def shown(by: str) -> str:
        parts = by.split(":", 3)
        if len(parts) >= 3 and parts[0] == PLATFORM and parts[1] == "channel":
            if len(parts) == 4 and parts[3]:
                return t(
                    language,
                    "the channel's administrators (signed %(name)s)",
                    name=excerpt(parts[3], SIGNATURE_CHARS),
                )
            return t(language, "the channel's administrators")
        if len(parts) == 3 and parts[0] == PLATFORM and parts[1] == "group":
            return t(language, "the group's anonymous admin")
        return excerpt(by)

    return shown
