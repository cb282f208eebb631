"""Console credentials: argon2id hashes (argon2-cffi's defaults), the printed one-time
passwords of new accounts, and the rules for account names and chosen passwords (shared
by the accounts page and ``digestbot console-user``)."""

from __future__ import annotations

import secrets
import unicodedata
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.web.i18n import _

_HASHER = PasswordHasher()
# Said to the editor as one word of letters and digits: about 95 bits.
ONE_TIME_LENGTH = 16
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
MAX_NAME = 64
_NAME_PUNCTUATION = frozenset("._-")


def hash_password(password: str) -> str:
    return _HASHER.hash(password.encode("utf-8", "surrogateescape"))


def verify_password(stored: str, tried: str) -> bool:
    """Whether ``tried`` is the password ``stored`` hashes; never raises for a wrong one."""
    try:
        return _HASHER.verify(stored, tried[:MAX_PASSWORD].encode("utf-8", "surrogateescape"))
    except (VerificationError, InvalidHashError):
        return False


@cache
def dummy_hash() -> str:
    """A hash no password matches, verified for unknown names so that a wrong name takes
    as long as a wrong password (no timing oracle for which names exist)."""
    return _HASHER.hash(secrets.token_bytes(32))


def one_time_password() -> str:
    return secrets.token_urlsafe(ONE_TIME_LENGTH)[:ONE_TIME_LENGTH]


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an account name, or None (pure): 1 to 64 letters, digits,
    dots, underscores and hyphens."""
    if not 1 <= len(name) <= MAX_NAME:
        return _("A name has 1 to %(n)s characters.", n=MAX_NAME)
    for char in name:
        if char in _NAME_PUNCTUATION or unicodedata.category(char) in ("Lu", "Ll", "Lo", "Nd"):
            continue
        return _(
            "A name holds only letters, digits, dots, underscores and hyphens (not %(char)s).",
            char=f"U+{ord(char):04X}",
        )
    return None


def clean_name(raw: str) -> str:
    """An account name as stored: NFC (a Vietnamese name typed in decomposed form is the
    same name)."""
    return unicodedata.normalize("NFC", raw)


def password_problem(password: str) -> str | None:
    """Why ``password`` cannot be chosen, or None (pure)."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return _(
            "A password has %(low)s to %(high)s characters.", low=MIN_PASSWORD, high=MAX_PASSWORD
        )
    if any(0xD800 <= ord(c) <= 0xDFFF or unicodedata.category(c) == "Cc" for c in password):
        return _("A password cannot hold control characters or broken text.")
    return None
