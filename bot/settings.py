"""All of digestbot's settings in one value: the core's (``digests.settings``) and each
chat adapter's (``bot/telegram/settings.py``, ``bot/discord/settings.py``).

``load_bot_settings`` reads them together, once, at start-up (the CLI's ``main``). The text of
``.env.example`` is derived from the same declarations; after changing a setting, run
``python -m bot.settings > .env.example`` (a test checks the committed file equals it);
``python -m bot.settings --readme`` prints the README's table of settings.
"""

# group() returns dataclasses.field(...), which ruff cannot see through.
# ruff: noqa: RUF009

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass

from bot.discord.settings import DiscordSettings
from bot.telegram.settings import TelegramSettings
from digests.envfields import (
    Section,
    env_example,
    group,
    in_order,
    load_group,
    secrets_of,
)
from digests.settings import Settings


@dataclass(frozen=True)
class PlatformSettings:
    """The chat adapters' own settings; the core never sees them."""

    telegram: TelegramSettings = group(TelegramSettings)
    discord: DiscordSettings = group(DiscordSettings)


@dataclass(frozen=True)
class BotSettings:
    """The core's settings plus the adapters', as read at start-up."""

    core: Settings = group(Settings)
    platforms: PlatformSettings = group(PlatformSettings)

    def secrets(self) -> list[str]:
        """The secret values that are set (tokens), for the redactor."""
        return secrets_of(self)


def load_bot_settings(env: Mapping[str, str]) -> BotSettings:
    """Build every setting from an environment mapping; raise SettingsError naming the
    first variable whose value cannot be used."""
    return load_group(BotSettings, env)


INTRO = (
    "digestbot settings. Copy to .env (or set in the environment, which wins over .env).\n"
    "`digestbot --env-file FILE …` reads FILE instead (it must exist; .env may be absent).\n"
    "Every setting is optional; the values shown are the defaults.\n"
    "Written by `python -m bot.settings` from the declarations in digests/settings.py and "
    "bot/*/settings.py: change those, not this file."
)

# The order of .env.example; each setting names its section.
SECTIONS = (
    Section("storage", "storage and content"),
    Section("readers", "readers' defaults"),
    Section("digests", "digests"),
    Section("fetching", "fetching feeds"),
    Section("delivery", "scheduling and delivery (`digestbot run`)"),
    Section("reach", "links and pictures"),
    Section(
        "summaries",
        "model summaries and translations",
        "Optional: unset LLM_BASE_URL and digests show each source's own summary. The key is "
        "a secret, redacted from every log line.",
    ),
    Section(
        "processes",
        "several processes on one database",
        "Only matters when more than one `digestbot run` shares DATABASE_URL.",
    ),
    Section(
        "telegram",
        "Telegram",
        "Unset token: the Telegram adapter does not start. Tokens are secrets: never commit "
        "them; they are redacted from every log line.",
    ),
    Section("discord", "Discord", "Unset token: the Discord adapter does not start."),
    Section("api", "admin HTTP API (served by `digestbot run` when API_TOKEN is set)"),
    Section("logging", "logging"),
)


def render_env_example() -> str:
    """The text .env.example must hold."""
    return env_example(INTRO, SECTIONS, [BotSettings])


def render_settings_table() -> str:
    """The README's table of settings (name, default, help), in .env.example's order."""
    rows = ["| setting | default | what it is |", "| --- | --- | --- |"]
    for spec, default in in_order(SECTIONS, [BotSettings]):
        shown = spec.kind.show(default)
        value = f"`{shown}`" if shown else "(empty)"
        rows.append(f"| `{spec.env}` | {value} | {spec.described().replace('|', '/')} |")
    return "\n".join(rows) + "\n"


def main(argv: list[str]) -> int:
    """Print .env.example (``python -m bot.settings > .env.example``), or with
    ``--readme`` the README's table of settings."""
    sys.stdout.write(render_settings_table() if "--readme" in argv else render_env_example())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
