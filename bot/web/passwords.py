"""Console passwords: argon2id hashes (argon2-cffi's defaults), and the printed one-time
passwords of new accounts."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
# Said to the editor as one word of letters and digits: about 95 bits.
ONE_TIME_LENGTH = 16


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str, tried: str) -> bool:
    """Whether ``tried`` is the password ``stored`` hashes; never raises for a wrong one."""
    try:
        return _HASHER.verify(stored, tried.encode("utf-8", "surrogateescape"))
    except (VerificationError, InvalidHashError):
        return False


def one_time_password() -> str:
    return secrets.token_urlsafe(ONE_TIME_LENGTH)[:ONE_TIME_LENGTH]
