"""What a subscribe link's tap leaves stored: which link brought the chat in is in its one
sign-up row only, which /forget deletes; the chat's last change and a group's audit rows
(which outlive /forget) say that a link subscribed it, not which."""

from __future__ import annotations

from digests import signup
from digests.models import Subscriber
from digests.signup import Joined
from digests.store import Store
from tests.conftest import NOW


async def test_only_the_signup_row_names_the_link(categorised_store: Store) -> None:
    store = categorised_store
    link = await store.add_link(["climate", "markets"], source="newsletter", now=NOW)
    group = Subscriber(id=0, platform="telegram", chat_id="-200", created_at=NOW)
    done = await signup.tap(store, group, link.code, now=NOW, by="telegram:301")
    assert isinstance(done, Joined) and done.signed_up
    again = await signup.tap(store, done.subscriber, "ai-frontier", now=NOW, by="telegram:301")
    assert isinstance(again, Joined)
    assert again.subscriber.last_change == "subscribed through a link: ai-frontier"
    audit = await store._fetchall("SELECT detail FROM audit WHERE action = 'change'")
    details = [row[0] for row in audit]
    assert details == [
        "subscribed through a link: climate, markets",
        "subscribed through a link: ai-frontier",
    ]
    await store.forget_subscriber(done.subscriber.id, by="telegram:301", now=NOW)
    stored = []
    for table in ("audit", "signups", "subscribers"):
        stored += [
            str(value) for row in await store._fetchall(f"SELECT * FROM {table}") for value in row
        ]
    assert stored and not [v for v in stored if link.code in v or "newsletter" in v]
