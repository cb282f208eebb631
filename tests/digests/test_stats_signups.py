"""The bot admins' /stats line for sign-ups through subscribe links."""

from __future__ import annotations

from digests.links import SignupCount
from digests.models import Category
from digests.stats import SIGNUPS_SHOWN, signups_line, stats_lines
from digests.store import Store
from tests.conftest import NOW


def test_signups_line_names_link_source_and_count() -> None:
    assert signups_line([]) == "sign-ups: none yet"
    assert (
        signups_line([SignupCount("climate", "", 3), SignupCount("Kx7Qm2p", "website", 2)])
        == "sign-ups: climate 3, Kx7Qm2p (website) 2"
    )


def test_signups_line_stays_short_with_many_links() -> None:
    counts = [SignupCount(f"c{n}", "", 1) for n in range(SIGNUPS_SHOWN + 5)]
    line = signups_line(counts)
    assert line.endswith("… 5 more links") and f"c{SIGNUPS_SHOWN}" not in line


async def test_stats_lines_end_with_the_signups(store: Store) -> None:
    await store.upsert_category(Category("climate", "Climate"))
    sub = await store.upsert_subscriber("telegram", "1", now=NOW)
    await store.record_signup(sub.id, "climate")
    assert (await stats_lines(store))[-1] == "sign-ups: climate 1"
