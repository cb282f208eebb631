"""Who is on the other end of a console request: the client's address (for the log-in
throttle) and whether the browser reached us over https (for the cookies' Secure flag).

Behind a reverse proxy on the same machine (nginx, Caddy: the usual way to put https in
front of API_BIND), every request comes from 127.0.0.1, and the proxy says the rest in
``X-Forwarded-For`` and ``X-Forwarded-Proto``. Those headers are believed only from a
loopback peer: anyone else could send them to pass for another address or to dodge the
Secure flag. A proxy on another machine is not supported (it would look like one client).
"""

from __future__ import annotations

import ipaddress

from aiohttp import web

LOOPBACK = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})


def from_local_proxy(request: web.Request) -> bool:
    return request.remote in LOOPBACK


def is_https(request: web.Request) -> bool:
    """Whether the browser's connection is https (ours, or a local proxy's)."""
    if request.secure:
        return True
    said = request.headers.get("X-Forwarded-Proto", "")
    return from_local_proxy(request) and said.strip().lower() == "https"


def forwarded_for(header: str) -> str | None:
    """The address a proxy appended last to ``X-Forwarded-For`` (the one it saw), or
    None when that is not an IP address (pure)."""
    last = header.rsplit(",", 1)[-1].strip()
    if not last or len(last) > 45:
        return None
    try:
        return str(ipaddress.ip_address(last))
    except ValueError:
        return None


def client_address(request: web.Request) -> str:
    """The client's IP address, as the throttle counts it."""
    peer = request.remote or "?"
    if from_local_proxy(request):
        return forwarded_for(request.headers.get("X-Forwarded-For", "")) or peer
    return peer
