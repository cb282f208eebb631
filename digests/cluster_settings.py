"""Settings for several processes sharing one database: names, leases and roles."""

# setting() builds a frozen field spec (metadata only), not a shared mutable default.
# ruff: noqa: RUF009

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import timedelta

from digests.envfields import Text, Whole, setting

SECOND = timedelta(seconds=1)


def _default_process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class ClusterSettings:
    """How processes sharing one database tell each other apart and share the work."""

    process_name: str = setting(
        "PROCESS_NAME",
        Text(r"[\w.:@-]{1,64}", must="must be 1-64 letters, digits or . : @ _ -"),
        "",
        "This process's name among those sharing the database (default host:pid)",
        section="processes",
    )
    lease: timedelta = setting(
        "LEASE_SECONDS",
        Whole(minimum=5, maximum=3600, unit=SECOND),
        timedelta(seconds=60),
        "How long a message being sent stays claimed by its process without renewal; "
        "another process takes it over after that (its process died)",
        section="processes",
    )
    leader_lease: timedelta = setting(
        "LEADER_LEASE_SECONDS",
        Whole(minimum=3, maximum=600, unit=SECOND),
        timedelta(seconds=15),
        "How long a role (leader: dispatch, retention, Telegram polling; sender of a "
        "platform) stays with a process that stopped renewing it",
        section="processes",
    )

    @property
    def name(self) -> str:
        """PROCESS_NAME, or host:pid when it is not set."""
        return self.process_name or _default_process_name()
