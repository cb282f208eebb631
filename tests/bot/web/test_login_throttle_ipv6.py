"""The per-address log-in throttle counts an IPv6 client as its /64 (one
subscriber's block), and an IPv4-mapped address as the IPv4 address it is."""

from __future__ import annotations

import httpx
import pytest

from digests.login_throttle import address_key
from tests.bot.web.conftest import PASSWORD, Account, csrf_of

WRONG = "not the password"


async def _try(client: httpx.AsyncClient, name: str, password: str, address: str) -> int:
    form = await client.get("/console/login")
    answer = await client.post(
        "/console/login",
        data={"csrf": csrf_of(form.text), "name": name, "password": password},
        headers={"X-Forwarded-For": address},  # the test client is a local proxy
    )
    return answer.status_code


async def test_twenty_addresses_of_one_ipv6_block_are_one_address(
    web: httpx.AsyncClient, account: Account
) -> None:
    await account("ed")
    for n in range(20):
        assert await _try(web, f"stranger{n}", WRONG, f"2001:db8:1:2::{n + 1:x}") == 401
    assert await _try(web, "ed", PASSWORD, "2001:db8:1:2:ffff::9") == 429
    assert await _try(web, "ed", PASSWORD, "2001:db8:1:3::1") == 303  # another block


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("10.0.0.7", "address:10.0.0.7"),
        ("::ffff:10.0.0.7", "address:10.0.0.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "address:2001:db8:1:2::/64"),
        ("2001:DB8:1:2::1", "address:2001:db8:1:2::/64"),
        ("?", "address:?"),
    ],
)
def test_the_key_an_address_counts_under(address: str, key: str) -> None:
    assert address_key(address) == key
