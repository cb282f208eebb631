"""The password page's "current password" is no unthrottled oracle: wrong
guesses there count as failed log-ins of the account, and a lock refuses them."""

from __future__ import annotations

import httpx

from bot.web.passwords import verify_password
from tests.bot.web.conftest import PASSWORD, csrf_of

NEW = "another long password"


async def _change(client: httpx.AsyncClient, old: str) -> httpx.Response:
    form = await client.get("/console/password")
    data = {"csrf": csrf_of(form.text), "old": old, "new": NEW, "again": NEW}
    return await client.post("/console/password", data=data)


async def test_guessing_the_current_password_is_throttled(editor: httpx.AsyncClient) -> None:
    for n in range(5):
        assert "is wrong" in (await _change(editor, f"guess number {n}")).text
    refused = await _change(editor, PASSWORD)  # even the right one, during the lock
    assert refused.status_code == 422
    assert "Too many attempts" in refused.text
    user = await editor.store.console_user("ed")  # type: ignore[attr-defined]
    assert user is not None and user.password_hash != ""
    assert verify_password(user.password_hash, PASSWORD)  # unchanged
