"""The console adapter: a Sender that prints messages, for the demo and local previews."""

from __future__ import annotations

import itertools
import json
from typing import TextIO

from digests.outgoing import Destination, OutgoingMessage


def format_message(message: OutgoingMessage, *, as_json: bool = False) -> str:
    """A message as a person reading a terminal would want it (or as raw JSON)."""
    if as_json:
        return json.dumps(
            {
                "text": message.text,
                "parse_mode": message.parse_mode,
                "embeds": list(message.embeds),
            },
            ensure_ascii=False,
            indent=2,
        )
    lines = [message.text] if message.text else []
    for embed in message.embeds:
        lines.append(f"┃ {embed.get('title', '')}")
        lines.extend(f"┃ {line}" for line in str(embed.get("description", "")).splitlines())
    return "\n".join(lines)


class ConsoleSender:
    """Prints each message with a rule above it; returns a running message id."""

    platform = "console"

    def __init__(self, out: TextIO, *, as_json: bool = False) -> None:
        self._out = out
        self._as_json = as_json
        self._ids = itertools.count(1)

    async def send(self, destination: Destination, message: OutgoingMessage) -> str:
        message_id = str(next(self._ids))
        self._out.write(f"\n──── message {message_id} → {destination.chat_id} ────\n")
        self._out.write(format_message(message, as_json=self._as_json) + "\n")
        return message_id
