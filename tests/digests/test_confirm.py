"""Tests for digests.confirm: a destructive request's confirmation token, on a clock passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from digests.confirm import CONFIRM_SECONDS, Confirmations, Outcome

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_only_the_owner_confirms_a_private_request_once() -> None:
    book = Confirmations()
    token = book.create("telegram:100", "telegram:100", NOW)
    assert len(token.encode()) <= 40
    assert book.take(token, "telegram:100", "telegram:7", True, NOW) is Outcome.REFUSED
    assert book.take(token, "telegram:100", "telegram:100", False, NOW) is Outcome.OK
    assert book.take(token, "telegram:100", "telegram:100", False, NOW) is Outcome.EXPIRED


def test_any_admin_confirms_a_group_request_and_a_member_is_refused() -> None:
    book = Confirmations()
    token = book.create("telegram:-200", None, NOW)
    assert book.take(token, "telegram:-200", "telegram:300", False, NOW) is Outcome.REFUSED
    # The refused press left the token for the chat's admins.
    assert book.take(token, "telegram:-200", "telegram:301", True, NOW) is Outcome.OK


def test_a_token_is_for_its_chat_and_expires() -> None:
    book = Confirmations()
    token = book.create("telegram:-200", None, NOW)
    assert book.take(token, "telegram:-999", "telegram:301", True, NOW) is Outcome.REFUSED
    late = NOW + timedelta(seconds=CONFIRM_SECONDS + 1)
    assert book.take(token, "telegram:-200", "telegram:301", True, late) is Outcome.EXPIRED
    assert len(book) == 0


def test_a_forged_token_is_expired_and_the_book_is_bounded() -> None:
    book = Confirmations(capacity=3)
    assert book.take("forged", "telegram:1", "telegram:1", True, NOW) is Outcome.EXPIRED
    tokens = [book.create(f"telegram:{i}", None, NOW) for i in range(5)]
    assert len(book) == 3
    assert book.take(tokens[0], "telegram:0", "x", True, NOW) is Outcome.EXPIRED
    assert book.take(tokens[4], "telegram:4", "x", True, NOW) is Outcome.OK
