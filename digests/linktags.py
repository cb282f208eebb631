"""The newsroom's analytics tags on outgoing links (LINK_TAGS on LINK_TAG_HOSTS).

Ingest strips ``utm_*`` and other tracking parameters so that one article has one
canonical URL (dedup and story grouping depend on it). The newsroom still wants to know
which visits the bot brought: the renderer puts its tags back on each link as it renders,
and only there, so the stored URL never carries them.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote, urlsplit, urlunsplit

from digests.urls import query_pairs_without

PLATFORM_PLACEHOLDER = "{platform}"


def host_is_tagged(host: str, hosts: Iterable[str]) -> bool:
    """True when ``host`` is one of ``hosts`` or a subdomain of one (lower-case names)."""
    host = host.lower().rstrip(".")
    return any(host == tagged or host.endswith("." + tagged) for tagged in hosts)


def tag_link(
    url: str,
    tags: Iterable[tuple[str, str]],
    hosts: frozenset[str],
    *,
    platform: str,
) -> str:
    """``url`` with ``tags`` added to its query when its host is tagged, else unchanged.

    ``{platform}`` in a value becomes ``platform``. A parameter already there under a
    tag's name is replaced, not repeated; the other parameters keep their order and form,
    and a fragment stays. Anything that is not an http(s) URL is returned as it is.
    """
    tags = tuple(tags)
    if not tags or not hosts:
        return url
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https") or not host_is_tagged(host, hosts):
        return url
    names = {key for key, _ in tags}
    kept = query_pairs_without(parts.query, names.__contains__)
    added = [
        f"{quote(key, safe='')}={quote(value.replace(PLATFORM_PLACEHOLDER, platform), safe='-._~')}"
        for key, value in tags
    ]
    return urlunsplit(parts._replace(query="&".join(kept + added)))
