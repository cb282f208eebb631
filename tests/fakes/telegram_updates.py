"""Builders for the Telegram updates a fake Bot API hands to the bot."""

from __future__ import annotations

import itertools
import time
from typing import Any

from tests.fakes.telegram_api import BOT_USER

_ids = itertools.count(1000)


def user(user_id: int, language: str = "en") -> dict[str, Any]:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": f"User{user_id}",
        "language_code": language,
    }


def chat(chat_id: int, kind: str = "private", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"id": chat_id, "type": kind}
    if kind == "private":
        data["first_name"] = "Presentation"
    else:
        data["title"] = f"Chat {chat_id}"
    data.update(extra)
    return data


def command(
    text: str,
    *,
    chat_id: int,
    user_id: int | None = None,
    kind: str = "private",
    language: str = "en",
    thread: int | None = None,
    edited: bool = False,
    forum: bool = False,
) -> dict[str, Any]:
    word = text.split()[0]
    message: dict[str, Any] = {
        "message_id": next(_ids),
        "date": int(time.time()),
        "chat": chat(chat_id, kind, **({"is_forum": True} if forum else {})),
        "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(word)}],
    }
    if kind == "channel":
        message["sender_chat"] = chat(chat_id, kind)
    else:
        message["from"] = user(user_id or chat_id, language)
    if thread is not None:
        message["message_thread_id"] = thread
        message["is_topic_message"] = True
    key = "channel_post" if kind == "channel" else ("edited_message" if edited else "message")
    if edited:
        message["edit_date"] = int(time.time())
    return {key: message}


def press(
    data: str,
    *,
    chat_id: int,
    user_id: int,
    message_id: int,
    kind: str = "private",
    language: str = "en",
    query_id: str | None = None,
    forum: bool = False,
    thread: int | None = None,
    inaccessible: bool = False,
) -> dict[str, Any]:
    """A press of a button under the bot's message. In a channel that message is a channel
    post (the channel its sender, no ``from``); the press names the member all the same.
    With ``inaccessible`` the message is older than Telegram shows (48 h): an
    InaccessibleMessage, only its chat and id, date 0."""
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": chat(chat_id, kind, **({"is_forum": True} if forum else {})),
        "text": "…",
    }
    if thread is not None:
        message["message_thread_id"] = thread
        message["is_topic_message"] = True
    if inaccessible:
        message = {"chat": message["chat"], "message_id": message_id, "date": 0}
    elif kind == "channel":
        message["sender_chat"] = chat(chat_id, kind)
    else:
        message["from"] = BOT_USER
    return {
        "callback_query": {
            "id": query_id or str(next(_ids)),
            "from": user(user_id, language),
            "chat_instance": "ci",
            "data": data,
            "message": message,
        }
    }


def bot_status(
    status: str, *, chat_id: int, kind: str = "private", by: int | None = None
) -> dict[str, Any]:
    old = "member" if status in ("kicked", "left") else "left"
    new: dict[str, Any] = {"user": BOT_USER, "status": status}
    if status == "kicked":
        new["until_date"] = 0
    return {
        "my_chat_member": {
            "chat": chat(chat_id, kind),
            "from": user(by or abs(chat_id)),
            "date": int(time.time()),
            "old_chat_member": {"user": BOT_USER, "status": old},
            "new_chat_member": new,
        }
    }


def migrate(*, chat_id: int, to: int) -> dict[str, Any]:
    """The service message in the old group: it became the supergroup ``to``."""
    return {
        "message": {
            "message_id": next(_ids),
            "date": int(time.time()),
            "chat": chat(chat_id, "group"),
            "from": user(1),
            "migrate_to_chat_id": to,
        }
    }


def migrated_from(*, chat_id: int, old: int) -> dict[str, Any]:
    """The service message in the new supergroup: it was the group ``old``."""
    return {
        "message": {
            "message_id": next(_ids),
            "date": int(time.time()),
            "chat": chat(chat_id, "supergroup"),
            "from": user(1),
            "migrate_from_chat_id": old,
        }
    }
