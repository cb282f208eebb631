"""DATABASE_URL: which engine, and where. A PostgreSQL URL never prints its password."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

# libpq and asyncpg also take the password as a query parameter (``?password=…``); it is
# as secret there as in the user part.
QUERY_PASSWORD = re.compile(r"(?i)((?:^|[?&])password=)([^&#\s]+)")


@dataclass(frozen=True)
class PostgresUrl:
    """A ``postgresql://`` DATABASE_URL. Printing it never shows the password."""

    dsn: str

    def __str__(self) -> str:
        return redact_url(self.dsn)

    def __repr__(self) -> str:
        return f"PostgresUrl({redact_url(self.dsn)!r})"

    @property
    def password(self) -> str | None:
        """The password, from the user part or (as libpq and asyncpg take it) from a
        ``password=`` query parameter; None without one."""
        parts = urlsplit(self.dsn)
        if parts.password:
            return parts.password
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key.lower() == "password" and value:
                return value
        return None

    def passwords(self) -> list[str]:
        """Every spelling of the password an error may echo: as written in the URL, and
        percent-decoded (as asyncpg sends it)."""
        found: list[str] = []
        parts = urlsplit(self.dsn)
        raw = [parts.password] + [m.group(2) for m in QUERY_PASSWORD.finditer(parts.query)]
        for one in raw:
            for spelling in (one, unquote(one) if one else one):
                if spelling and spelling not in found:
                    found.append(spelling)
        return found


def redact_url(url: str) -> str:
    """``url`` with the password (if any) shown as ``***``."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "postgresql://…"
    query = QUERY_PASSWORD.sub(lambda m: m.group(1) + "***", parts.query)
    if not password and query == parts.query:
        return url
    netloc = parts.netloc.replace(f":{password}@", ":***@", 1) if password else parts.netloc
    return parts._replace(netloc=netloc, query=query).geturl()


def parse_database_url(url: str) -> Path | PostgresUrl:
    """``sqlite:///relative.db``, ``sqlite:////abs/path.db`` or
    ``postgresql://user:pass@host:5432/db`` (also ``postgres://``). Raises ValueError with
    a one-line reason that never shows a password."""
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return Path(url[len("sqlite:///") :])
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in ("postgresql", "postgres"):
        try:
            parts = urlsplit(url)
            port = parts.port  # raises ValueError on a port that is not a number
        except ValueError as exc:
            raise ValueError(f"not a PostgreSQL URL ({exc})") from None
        if not parts.hostname and "host=" not in parts.query:
            raise ValueError("a PostgreSQL URL needs a host: postgresql://user:pass@host:5432/db")
        if port == 0:
            raise ValueError("port 0 is not a PostgreSQL port")
        return PostgresUrl("postgresql://" + url.split("://", 1)[1])
    raise ValueError(
        "must be sqlite:///path/to/file.db or postgresql://user:password@host:5432/database"
    )
