"""Log-in guesses sent all at once must not each be verified (the throttle is
read before the argon2 verification and written after it)."""

from __future__ import annotations

import asyncio

import httpx

from tests.bot.web.conftest import Account, csrf_of

WRONG = "not the password"


async def _burst(web: httpx.AsyncClient, tries: list[tuple[str, str]]) -> list[int]:
    token = csrf_of((await web.get("/console/login")).text)

    async def one(name: str, password: str) -> int:
        answer = await web.post(
            "/console/login", data={"csrf": token, "name": name, "password": password}
        )
        return answer.status_code

    return list(await asyncio.gather(*(one(n, p) for n, p in tries)))


async def test_thirty_guesses_at_once_are_not_thirty_verifications(
    web: httpx.AsyncClient, account: Account
) -> None:
    await account("ed")
    codes = await _burst(web, [("ed", f"{WRONG} {n}") for n in range(30)])
    assert codes.count(401) == 5
    assert codes.count(429) == 25


async def test_a_burst_of_many_names_from_one_address_stops_at_twenty(
    web: httpx.AsyncClient,
) -> None:
    codes = await _burst(web, [(f"stranger{n}", WRONG) for n in range(40)])
    assert codes.count(401) == 20
