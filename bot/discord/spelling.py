"""How replies name Discord's commands: every command is a subcommand of ``/news`` and its
arguments are options, written ``name:value`` as Discord shows them. The core's replies
take this as their ``Spelling``; a test keeps the option names in step with the commands."""

from __future__ import annotations

from digests.actions import Spelling

SPELLING = Spelling(
    prefix="/news ",
    # Core command name → the /news subcommand, where they differ.
    names={"mysubs": "list"},
    options={
        "subscribe": ("category",),
        "unsubscribe": ("category",),
        "time": ("time",),
        "timezone": ("zone",),
        "frequency": ("how", "day"),
        "filter": ("category", "keywords"),
        "language": ("language",),
    },
)
