"""Settings for reaching readers: the newsroom's analytics tags on outgoing links, and
pictures in digests. A group of ``digests.settings.Settings`` (``settings.reach``),
declared like the rest (``digests.envfields``).
"""

# setting() returns dataclasses.field(...), which ruff cannot see through.

from __future__ import annotations

import re
from dataclasses import dataclass

from digests.envfields import Checked, Flag, SettingsError, setting, show

TAG_KEY = re.compile(r"[A-Za-z0-9_.-]{1,64}")
TAG_VALUE = re.compile(r"[A-Za-z0-9_.~{}-]{0,128}")
LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
HOST = re.compile(rf"(?=.{{1,253}}$){LABEL}(\.{LABEL})*")


def _link_tags(name: str, text: str) -> tuple[tuple[str, str], ...]:
    # key=value&key=value; {platform} in a value becomes telegram or discord.
    pairs = []
    for part in text.split("&"):
        key, sep, value = part.partition("=")
        if not sep or not TAG_KEY.fullmatch(key) or not TAG_VALUE.fullmatch(value):
            raise SettingsError(
                f"{name} must look like utm_source=digestbot&utm_medium={{platform}} "
                f"(keys and values of A-Z a-z 0-9 _ . - ~), got {show(text)}"
            )
        pairs.append((key, value))
    if len(pairs) > 20:
        raise SettingsError(f"{name}: at most 20 tags, got {len(pairs)}")
    return tuple(pairs)


def _show_tags(tags: tuple[tuple[str, str], ...]) -> str:
    return "&".join(f"{key}={value}" for key, value in tags)


def _ascii_host(host: str) -> str:
    # Stored links carry hosts in punycode (digests.urls.canonical_url): bücher.example
    # is matched as xn--bcher-kva.example.
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host  # refused below, by its own spelling


def _hosts(name: str, text: str) -> frozenset[str]:
    hosts = set()
    for given in text.split(","):
        host = _ascii_host(given.strip().lower().rstrip("."))
        if not given.strip():
            continue
        if not HOST.fullmatch(host):
            raise SettingsError(
                f"{name} must be host names separated by commas (such as news.example), "
                f"got {show(host)}"
            )
        hosts.add(host)
    return frozenset(hosts)


@dataclass(frozen=True)
class Reach:
    """Links back to the newsroom and pictures in digests."""

    link_tags: tuple[tuple[str, str], ...] = setting(
        "LINK_TAGS",
        Checked(_link_tags, shown=_show_tags),
        (),
        "Analytics tags added to outgoing links to LINK_TAG_HOSTS, such as "
        "utm_source=digestbot&utm_medium={platform}; stored URLs stay untagged",
        section="reach",
    )
    link_tag_hosts: frozenset[str] = setting(
        "LINK_TAG_HOSTS",
        Checked(_hosts, shown=lambda hosts: ",".join(sorted(hosts))),
        frozenset(),
        "The newsroom's hosts whose links get LINK_TAGS (comma-separated; a host also "
        "covers its subdomains)",
        section="reach",
    )
    pictures: bool = setting(
        "DIGEST_PICTURES",
        Flag(),
        True,
        "Show the lead story's picture: a large link preview on Telegram, the first "
        "embed's image on Discord (on/off)",
        section="reach",
    )

    @property
    def tags_links(self) -> bool:
        """Whether some outgoing links get tags: both LINK_TAGS and LINK_TAG_HOSTS set."""
        return bool(self.link_tags and self.link_tag_hosts)
