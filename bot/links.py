"""Every way to send a reader to the bot for a category or a link code, for
``digestbot links`` and ``GET /api/links``: Telegram's private and group deep links
(python-telegram-bot's ``create_deep_linked_url``), the Discord install URL with the command
to type afterwards, and an HTML snippet for the newsroom's article template.

The links need the bot's identity (``bot.wiring.Identity``): what is unknown offline is left
out, and ``missing_settings`` says which setting would add it.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from bot.wiring import Identity
from digests.links import PAYLOAD, Link, live_categories
from digests.store import Store

TargetKind = Literal["category", "code"]


@dataclass(frozen=True)
class LinkTarget:
    """What a link subscribes to: a category (its slug is the payload) or a stored code."""

    kind: TargetKind
    payload: str
    title: str  # the category's name, or the names of the code's categories
    categories: tuple[str, ...]
    source: str = ""


@dataclass(frozen=True)
class Links:
    """The links for one target; a link is None when the bot's identity lacks what it needs."""

    target: LinkTarget
    telegram: str | None
    telegram_group: str | None
    discord_install: str | None
    discord_command: str
    html: str | None

    def urls(self) -> list[tuple[str, str]]:
        """(platform, URL) for each link there is, the platform naming its QR code's file."""
        pairs = [
            ("telegram", self.telegram),
            ("telegram-group", self.telegram_group),
            ("discord", self.discord_install),
        ]
        return [(platform, url) for platform, url in pairs if url]

    def as_json(self) -> dict[str, Any]:
        target = self.target
        return {
            "kind": target.kind,
            "payload": target.payload,
            "name": target.title,
            "categories": list(target.categories),
            "source": target.source,
            "telegram": (
                {"private": self.telegram, "group": self.telegram_group} if self.telegram else None
            ),
            "discord": {"install": self.discord_install, "command": self.discord_command},
            "html": self.html,
        }


def missing_settings(identity: Identity) -> list[str]:
    """One line per link kind the identity cannot make, naming the setting that would
    (also when it is set to what no link can be made of, rather than leave the link out
    without a word)."""
    lines = []
    if not identity.telegram_username:
        lines.append(
            "no Telegram links: set TELEGRAM_BOT_USERNAME (a running bot learns it from Telegram)"
        )
    elif _telegram(identity.telegram_username, "x", group=False) is None:
        lines.append("no Telegram links: TELEGRAM_BOT_USERNAME is not a Telegram username")
    if not identity.discord_application_id:
        lines.append(
            "no Discord install link: set DISCORD_APPLICATION_ID (a running bot learns it "
            "from Discord)"
        )
    elif _discord(identity.discord_application_id) is None:
        lines.append(
            "no Discord install link: DISCORD_APPLICATION_ID is not an application id "
            "(1-20 digits 0-9)"
        )
    return lines


def _telegram(username: str | None, payload: str, *, group: bool) -> str | None:
    if not username or not PAYLOAD.fullmatch(payload):
        return None
    from telegram.helpers import create_deep_linked_url  # loads PTB only when used

    try:
        return create_deep_linked_url(username, payload, group=group)
    except ValueError:  # a username Telegram would not have given; no link beats a wrong one
        return None


def _discord(application_id: str | None) -> str | None:
    if not application_id:
        return None
    from bot.discord.install import install_url  # loads discord.py only when a link is built

    try:
        return install_url(application_id)
    except ValueError:
        return None


def _button(url: str, text: str, platform: str) -> str:
    return (
        f'<a class="digestbot-subscribe digestbot-{platform}" '
        f'href="{html.escape(url, quote=True)}" target="_blank" rel="noopener">'
        f"{html.escape(text, quote=True)}</a>"
    )


def snippet(target: LinkTarget, telegram: str | None, discord_install: str | None) -> str | None:
    """The article template's button, every value escaped (a category's name is the
    operator's text, and a page is no place to run it): Telegram's private link, which
    subscribes at once; the Discord install link for a bot on Discord only."""
    if telegram:
        return _button(telegram, f"Get {target.title} in Telegram", "telegram")
    if discord_install:
        return _button(discord_install, f"Get {target.title} on Discord", "discord")
    return None


def build_links(target: LinkTarget, identity: Identity) -> Links:
    """The links for ``target`` with what ``identity`` knows (pure)."""
    from bot.discord.install import subscribe_command  # loads discord.py only when used

    private = _telegram(identity.telegram_username, target.payload, group=False)
    group = _telegram(identity.telegram_username, target.payload, group=True)
    discord_install = _discord(identity.discord_application_id)
    return Links(
        target=target,
        telegram=private,
        telegram_group=group,
        discord_install=discord_install,
        discord_command=subscribe_command(target.categories),
        html=snippet(target, private, discord_install),
    )


def code_target(link: Link, names: dict[str, str]) -> LinkTarget:
    """A stored code as a target, titled by its categories' names (``names``: slug → name)."""
    return LinkTarget(
        kind="code",
        payload=link.code,
        title=", ".join(names.get(slug, slug) for slug in link.categories),
        categories=link.categories,
        source=link.source,
    )


async def link_targets(store: Store, only: str | None = None) -> list[LinkTarget]:
    """Each live category, then each live code with the categories a tap on it still
    subscribes to (``digests.signup.resolve``): its retired ones left out, and a code left
    out whose categories are all retired, since a tap on it is refused. ``only`` keeps the
    one with that payload, a slug in any case, as a tap matches it."""
    categories = await store.list_categories(retired=True)
    names = {c.slug: c.name for c in categories}
    live = {c.slug for c in categories if c.retired_at is None}
    targets = [
        LinkTarget("category", c.slug, c.name, (c.slug,))
        for c in categories
        if c.retired_at is None
    ]
    for link in await store.list_links():
        kept = live_categories(link, live)
        if kept:
            targets.append(code_target(replace(link, categories=kept), names))
    if only is not None:
        targets = [
            t
            for t in targets
            if t.payload == only or (t.kind == "category" and t.payload == only.lower())
        ]
    return targets


def report_json(links: Sequence[Links], identity: Identity) -> dict[str, Any]:
    """``GET /api/links``: the same as ``digestbot links`` prints, without the images."""
    return {
        "telegram_username": identity.telegram_username,
        "discord_application_id": identity.discord_application_id,
        "missing": missing_settings(identity),
        "links": [item.as_json() for item in links],
    }
