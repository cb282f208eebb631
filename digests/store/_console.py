"""Store part for the newsroom's web console (``bot.web``): its accounts, their signed-in
sessions, the secret that signs session cookies, and the counts of failed log-ins that
throttle guessing.

Error contract: ``add_console_user`` raises ConsoleUserExists for a name already taken;
``remove_console_user`` returns False for an unknown name; reads return None for what
does not exist (an unknown account, an expired or ended session). Names and roles are
checked by the caller (``bot.web.accounts``); a role other than editor/admin is refused by
the schema.
"""

from __future__ import annotations

import secrets
import sqlite3
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from digests.errors import ConflictError
from digests.login_throttle import FORGET_AFTER, locked_until
from digests.store._base import StoreBase, placeholders
from digests.timeutil import from_db, to_db

ROLES = ("editor", "admin")
_SECRET_KEY = "console_secret"


def looks_alike(one: str, other: str) -> bool:
    """Whether two account names read the same to a person: equal after NFKC and case
    folding ("ed", "Ed", full-width "ＥＤ"), so the audit log never shows two accounts
    under one name (pure). Letters of other scripts that only look alike (Cyrillic "е")
    are not caught."""
    return _folded(one) == _folded(other)


def _folded(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold()


class ConsoleUserExists(ConflictError):
    """An account of that name exists already."""


class LastConsoleAdmin(ConflictError):
    """The change would leave the console without an admin."""


@dataclass(frozen=True)
class ConsoleUser:
    id: int
    name: str
    role: str
    password_hash: str
    must_change: bool
    language: str
    created_at: datetime

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class ConsoleSession:
    """A signed-in session, with its account."""

    token_hash: str
    user: ConsoleUser
    csrf: str
    expires_at: datetime


def _user(row: sqlite3.Row) -> ConsoleUser:
    return ConsoleUser(
        id=int(row["id"]),
        name=row["name"],
        role=row["role"],
        password_hash=row["password_hash"],
        must_change=bool(row["must_change"]),
        language=row["language"],
        created_at=from_db(row["created_at"]),
    )


_USER_COLUMNS = "u.id, u.name, u.role, u.password_hash, u.must_change, u.language, u.created_at"


class ConsoleStore(StoreBase):
    async def console_secret(self) -> bytes:
        """The key that signs session cookies: made once, on first use, and shared by
        every process on this database (a cookie signed by one is good at another)."""
        fresh = secrets.token_hex(32)
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                (_SECRET_KEY, fresh),
            )
            row = await (
                await db.execute("SELECT value FROM meta WHERE key = ?", (_SECRET_KEY,))
            ).fetchone()
        assert row is not None
        return bytes.fromhex(row[0])

    async def add_console_user(
        self, name: str, *, role: str, password_hash: str, must_change: bool, now: datetime
    ) -> ConsoleUser:
        stamp = to_db(now)
        try:
            async with self._transaction() as db:
                taken = await (await db.execute("SELECT name FROM console_users")).fetchall()
                twin = next((row[0] for row in taken if looks_alike(row[0], name)), None)
                if twin is not None and twin != name:
                    raise ConsoleUserExists(
                        f"a console account named {twin} exists, and {name} looks the same"
                    )
                await db.execute(
                    """INSERT INTO console_users
                       (name, role, password_hash, must_change, created_at, updated_at)
                       VALUES (?, ?, ?, ?, ?, ?)""",
                    (name, role, password_hash, int(must_change), stamp, stamp),
                )
        except sqlite3.IntegrityError:
            raise ConsoleUserExists(f"a console account named {name} exists already") from None
        user = await self.console_user(name)
        assert user is not None
        return user

    async def console_user(self, name: str) -> ConsoleUser | None:
        row = await self._fetchone(
            f"SELECT {_USER_COLUMNS} FROM console_users u WHERE u.name = ?", (name,)
        )
        return None if row is None else _user(row)

    async def console_users(self) -> list[ConsoleUser]:
        rows = await self._fetchall(f"SELECT {_USER_COLUMNS} FROM console_users u ORDER BY u.name")
        return [_user(row) for row in rows]

    async def count_console_users(self) -> int:
        row = await self._fetchone("SELECT COUNT(*) FROM console_users")
        return int(row[0]) if row else 0

    async def remove_console_user(self, name: str, *, keep_an_admin: bool = False) -> bool:
        """Remove an account and end its sessions; False when there is none of that name.
        With ``keep_an_admin``, LastConsoleAdmin rather than remove the last admin (checked
        inside the write transaction: two admins removing each other at once leave one)."""
        async with self._transaction() as db:
            row = await (
                await db.execute("SELECT id, role FROM console_users WHERE name = ?", (name,))
            ).fetchone()
            if row is None:
                return False
            if keep_an_admin and row[1] == "admin":
                await _other_admin_or_refuse(db, name)
            await db.execute("DELETE FROM console_sessions WHERE user_id = ?", (row[0],))
            await db.execute("DELETE FROM console_users WHERE id = ?", (row[0],))
        return True

    async def set_console_password(
        self, user_id: int, password_hash: str, *, must_change: bool, now: datetime
    ) -> None:
        async with self._transaction() as db:
            await db.execute(
                """UPDATE console_users SET password_hash = ?, must_change = ?, updated_at = ?
                   WHERE id = ?""",
                (password_hash, int(must_change), to_db(now), user_id),
            )

    async def set_console_language(self, user_id: int, language: str, *, now: datetime) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE console_users SET language = ?, updated_at = ? WHERE id = ?",
                (language, to_db(now), user_id),
            )

    async def start_console_session(
        self, user_id: int, token_hash: str, csrf: str, *, now: datetime, expires_at: datetime
    ) -> None:
        stamp = to_db(now)
        async with self._transaction() as db:
            # Expired sessions go when a new one starts: no job needed to sweep them.
            await db.execute("DELETE FROM console_sessions WHERE expires_at <= ?", (stamp,))
            await db.execute(
                """INSERT INTO console_sessions
                   (token_hash, user_id, csrf, created_at, expires_at, last_seen_at)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                (token_hash, user_id, csrf, stamp, to_db(expires_at), stamp),
            )

    async def console_session(self, token_hash: str, *, now: datetime) -> ConsoleSession | None:
        """The live session with this token hash and its account; None when it ended,
        expired or never was."""
        row = await self._fetchone(
            f"""SELECT {_USER_COLUMNS}, s.token_hash, s.csrf, s.expires_at
                FROM console_sessions s JOIN console_users u ON u.id = s.user_id
                WHERE s.token_hash = ? AND s.expires_at > ?""",
            (token_hash, to_db(now)),
        )
        if row is None:
            return None
        return ConsoleSession(
            token_hash=row["token_hash"],
            user=_user(row),
            csrf=row["csrf"],
            expires_at=from_db(row["expires_at"]),
        )

    async def end_console_session(self, token_hash: str) -> None:
        async with self._transaction() as db:
            await db.execute("DELETE FROM console_sessions WHERE token_hash = ?", (token_hash,))

    async def end_console_sessions_of(self, user_id: int, *, keep: str | None = None) -> int:
        """End every session of an account (a changed password), but ``keep``."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "DELETE FROM console_sessions WHERE user_id = ? AND token_hash <> ?",
                (user_id, keep or ""),
            )
            return cursor.rowcount

    async def console_login_lock(self, keys: Sequence[str], *, now: datetime) -> datetime | None:
        """When the latest lock in force among ``keys`` ends, or None (nothing locked)."""
        if not keys:
            return None
        rows = await self._fetchall(
            f"""SELECT locked_until FROM console_logins
                WHERE key IN ({placeholders(keys)}) AND locked_until > ?""",
            (*keys, to_db(now)),
        )
        return max((from_db(row[0]) for row in rows), default=None)

    async def note_console_login_failure(
        self, limits: Mapping[str, int], *, now: datetime
    ) -> datetime | None:
        """Count a failed log-in against each key (its limit beside it) and lock the keys
        that reached their limit (``digests.login_throttle``); returns the latest lock
        started, or None. One upsert per key, so processes sharing the database count
        together; a key quiet for FORGET_AFTER starts again at 1."""
        stamp, forget = to_db(now), to_db(now - FORGET_AFTER)
        latest: datetime | None = None
        async with self._transaction() as db:
            # Rows nobody failed on for a day and no longer locked go (names typed by
            # strangers must not pile up).
            await db.execute(
                """DELETE FROM console_logins WHERE last_failure <= ?
                   AND (locked_until IS NULL OR locked_until <= ?)""",
                (forget, stamp),
            )
            for key, limit in limits.items():
                row = await (
                    await db.execute(
                        """INSERT INTO console_logins (key, failures, last_failure)
                           VALUES (?, 1, ?)
                           ON CONFLICT (key) DO UPDATE SET
                             failures = CASE WHEN console_logins.last_failure <= ? THEN 1
                                        ELSE console_logins.failures + 1 END,
                             last_failure = excluded.last_failure
                           RETURNING failures""",
                        (key, stamp, forget),
                    )
                ).fetchone()
                assert row is not None  # RETURNING gives the row, inserted or updated
                until = locked_until(int(row[0]), limit, now)
                if until is not None:
                    await db.execute(
                        "UPDATE console_logins SET locked_until = ? WHERE key = ?",
                        (to_db(until), key),
                    )
                    latest = until if latest is None else max(latest, until)
        return latest

    async def clear_console_logins(self, key: str) -> None:
        """A right password: the account's failures are forgotten."""
        async with self._transaction() as db:
            await db.execute("DELETE FROM console_logins WHERE key = ?", (key,))

    async def set_console_role(
        self, name: str, role: str, *, now: datetime, keep_an_admin: bool = False
    ) -> bool:
        """Give an account another role; False when there is none of that name. With
        ``keep_an_admin``, LastConsoleAdmin rather than demote the last admin."""
        async with self._transaction() as db:
            if keep_an_admin and role != "admin":
                await _other_admin_or_refuse(db, name)
            cursor = await db.execute(
                "UPDATE console_users SET role = ?, updated_at = ? WHERE name = ?",
                (role, to_db(now), name),
            )
            return cursor.rowcount > 0


async def _other_admin_or_refuse(db: Any, name: str) -> None:
    """LastConsoleAdmin unless an admin other than ``name`` remains (in the caller's write
    transaction, which the store runs one at a time)."""
    row = await (
        await db.execute(
            "SELECT COUNT(*) FROM console_users WHERE role = 'admin' AND name <> ?", (name,)
        )
    ).fetchone()
    if row is None or int(row[0]) == 0:
        raise LastConsoleAdmin("the console must keep an admin")
