"""How replies name Telegram's commands: a slash and the command's name, its arguments
as words after it (``/time 07:30``). The core's replies take this as their ``Spelling``."""

from __future__ import annotations

from digests.actions import Spelling

SPELLING = Spelling(prefix="/")
