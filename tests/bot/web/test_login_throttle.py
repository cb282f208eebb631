"""The log-in throttle through the real log-in form: per account, per address, shared
through the store, audited."""

from __future__ import annotations

from datetime import timedelta

import httpx

from bot.web import passwords
from tests.bot.web.conftest import PASSWORD, Account, csrf_of, sign_in

WRONG = "not the password"


async def _try(client: httpx.AsyncClient, name: str, password: str, address: str) -> httpx.Response:
    form = await client.get("/console/login")
    return await client.post(
        "/console/login",
        data={"csrf": csrf_of(form.text), "name": name, "password": password},
        headers={"X-Forwarded-For": address},
    )


async def test_the_sixth_try_is_refused_even_with_the_right_password(
    web: httpx.AsyncClient, account: Account
) -> None:
    await account("ed")
    for _ in range(5):
        assert (await sign_in(web, "ed", WRONG)).status_code == 401
    refused = await sign_in(web, "ed")
    assert refused.status_code == 429
    assert "Too many attempts, try again in 1 minute." in refused.text
    assert refused.headers["Retry-After"] == "60"
    web.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    assert (await sign_in(web, "ed")).status_code == 303


async def test_the_lock_doubles_and_the_right_password_resets_the_count(
    web: httpx.AsyncClient, account: Account
) -> None:
    await account("ed")
    for _ in range(5):
        await sign_in(web, "ed", WRONG)
    web.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    assert (await sign_in(web, "ed", WRONG)).status_code == 401
    refused = await sign_in(web, "ed")
    assert "try again in 2 minutes" in refused.text
    web.clock.advance(timedelta(minutes=2))  # type: ignore[attr-defined]
    assert (await sign_in(web, "ed")).status_code == 303
    for _ in range(4):  # the count started again
        assert (await _try(web, "ed", WRONG, "10.0.0.9")).status_code == 401
    assert (await _try(web, "ed", PASSWORD, "10.0.0.9")).status_code == 303


async def test_the_lock_holds_from_another_address(
    web: httpx.AsyncClient, account: Account
) -> None:
    await account("ed")
    for n in range(5):
        await _try(web, "ed", WRONG, f"10.0.0.{n}")
    assert (await _try(web, "ed", PASSWORD, "10.0.1.1")).status_code == 429


async def test_twenty_failures_lock_the_address_for_every_name(
    web: httpx.AsyncClient, account: Account
) -> None:
    await account("ed")
    for n in range(20):
        assert (await _try(web, f"stranger{n}", WRONG, "10.0.0.7")).status_code == 401
    assert (await _try(web, "ed", PASSWORD, "10.0.0.7")).status_code == 429
    assert (await _try(web, "ed", PASSWORD, "10.0.0.8")).status_code == 303


async def test_an_unknown_name_costs_a_verification_and_counts(
    web: httpx.AsyncClient, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    verified: list[str] = []
    real = passwords.verify_password

    def spy(stored: str, tried: str) -> bool:
        verified.append(stored)
        return real(stored, tried)

    monkeypatch.setattr("bot.web.login.verify_password", spy)
    for _ in range(5):
        assert (await sign_in(web, "nobody", WRONG)).status_code == 401
    assert verified == [passwords.dummy_hash()] * 5
    assert (await sign_in(web, "nobody", WRONG)).status_code == 429


async def test_refused_log_ins_are_audited_once_a_minute(
    web: httpx.AsyncClient, account: Account
) -> None:
    await account("ed")
    for _ in range(7):
        await sign_in(web, "ed", WRONG)
    entries = await web.store.audit_log()  # type: ignore[attr-defined]
    refused = [e for e in entries if e.outcome == "refused"]
    assert [(e.actor, e.action, e.platform) for e in refused] == [("ed", "login", "console")]
    assert refused[0].count == 7
