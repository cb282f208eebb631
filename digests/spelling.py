"""How a platform's readers type a command, for core replies that name one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Spelling:
    """How a platform's readers type a command, for replies that name one (as Red-DiscordBot
    fills ``command=f"{ctx.prefix}unban"`` into its texts). Commands are named here by
    their core name (``time``, ``mysubs``); the adapter says how to write them.

    ``prefix`` goes before the name (``/`` on Telegram, ``/news `` on Discord); ``names``
    renames a command where the platform calls it differently; ``options`` gives the option
    names of a command whose arguments are typed as ``name:value`` (Discord's slash-command
    options) rather than as words after the command."""

    prefix: str = "/"
    names: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def command(self, name: str, *args: str) -> str:
        """``command("time", "07:30")`` → ``/time 07:30``, or ``/news time time:07:30``."""
        words = [self.prefix + self.names.get(name, name)]
        options = self.options.get(name)
        if options is None:
            words += args
        else:
            words += [f"{option}:{value}" for option, value in zip(options, args, strict=False)]
        return " ".join(words)
