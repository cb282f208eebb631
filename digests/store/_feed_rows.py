"""A ``feeds`` row (with its categories as ``cats``) as a ``Feed``: shared by the store
parts that read feeds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from digests.models import Feed
from digests.timeutil import from_db


def feed_from_row(row: Any) -> Feed:
    return Feed(
        id=row["id"],
        url=row["url"],
        categories=tuple(sorted(row["cats"].split(","))) if row["cats"] else (),
        name=row["name"],
        title=row["title"],
        interval=timedelta(seconds=row["interval_s"]),
        priority=row["priority"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        consecutive_errors=row["consecutive_errors"],
        last_error=row["last_error"],
        last_error_at=from_db(row["last_error_at"]),
        last_fetched_at=from_db(row["last_fetched_at"]),
        next_fetch_at=from_db(row["next_fetch_at"]),
        disabled=bool(row["disabled"]),
        disabled_reason=row["disabled_reason"],
        origin=row["origin"],
    )
