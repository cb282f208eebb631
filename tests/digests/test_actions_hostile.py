"""Issue 19 item 4 (core) and 10b: every reply of the chat actions stays far under 2,000
characters whatever a member types, quotes input cut short and bidi-free, says so when it
cut, and removes duplicate names; a line break inside a keyword no longer slips past the
20-keyword limit."""

from __future__ import annotations

import pytest

from digests import actions
from digests.keywords import KeywordError, clean_keywords, split_keywords
from digests.models import Category, Subscriber
from digests.store import Store
from tests.conftest import NOW

SLASH = actions.Spelling()
LIMIT = 2000
BIDI = "\u202e\u2066\u200f"

HOSTILE = [
    "x" * 4080,
    "9" * 5000,
    f"ab{BIDI}cd" * 300,
    "lone\ud800surrogate" * 200,
    "one\ntwo\nthree\n" * 300,
    ",".join(f"cat{i}" for i in range(1000)),
]


async def _reader(store: Store) -> Subscriber:
    sub = await store.upsert_subscriber("telegram", "1", now=NOW)
    await store.subscribe(sub.id, ["climate"], now=NOW)
    return await store.get_subscriber(sub.id)


def _fits(reply: str) -> None:
    assert len(reply) < LIMIT, len(reply)
    assert not any(c in reply for c in BIDI)
    assert "\ud800" not in reply


@pytest.mark.parametrize("text", HOSTILE, ids=["4080", "digits", "bidi", "surrogate", "nl", "many"])
async def test_every_change_answers_hostile_input_in_a_short_reply(
    categorised_store: Store, text: str
) -> None:
    store = categorised_store
    sub = await _reader(store)
    for name, change in actions.CHANGES.items():
        reply = await change(store, sub, [text], NOW, SLASH, "telegram:1")
        _fits(reply)
        if name in ("subscribe", "unsubscribe", "timezone"):
            assert "(shortened)" in reply or len(text) <= 60, reply
    for args in ([text, text], ["climate", text], [text, "off"]):
        _fits(await actions.set_filter(store, sub, args, now=NOW, spelling=SLASH, by="t:1"))
    _fits(await actions.toggle(store, sub, text, now=NOW, by="telegram:1"))
    _fits(await actions.choose(store, sub, text, True, now=NOW, by="telegram:1"))
    # None of it changed the chat.
    assert (await store.get_subscriber(sub.id)).categories == ("climate",)


async def test_unknown_names_are_quoted_short_and_say_they_were_cut(
    categorised_store: Store,
) -> None:
    sub = await _reader(categorised_store)
    reply = await actions.subscribe(
        categorised_store, sub, ["y" * 4080], now=NOW, spelling=SLASH, by="telegram:1"
    )
    assert reply.startswith("Unknown category: yyyy")
    assert "…" in reply and "(shortened)" in reply and len(reply) < 300
    reply = await actions.set_timezone(
        categorised_store, sub, ["Asia/" + "Q" * 4075], now=NOW, spelling=SLASH, by="t:1"
    )
    assert "(shortened)" in reply and len(reply) < 300
    reply = await actions.set_filter(
        categorised_store, sub, ["z" * 4080, "ice"], now=NOW, spelling=SLASH, by="t:1"
    )
    assert reply.startswith("You are not subscribed to: zzz") and len(reply) < 200


async def test_the_same_category_500_times_subscribes_once_and_confirms(
    categorised_store: Store,
) -> None:
    store = categorised_store
    sub = await store.upsert_subscriber("telegram", "2", now=NOW)
    reply = await actions.subscribe(
        store, sub, [",".join(["climate"] * 500)], now=NOW, spelling=SLASH, by="telegram:2"
    )
    assert reply == "Subscribed to Climate."
    sub = await store.get_subscriber(sub.id)
    assert sub.categories == ("climate",)
    reply = await actions.unsubscribe(
        store, sub, [",".join(["climate"] * 500)], now=NOW, spelling=SLASH, by="telegram:2"
    )
    assert reply == "Unsubscribed from climate."


async def test_a_newline_inside_a_keyword_does_not_pass_the_limit(
    categorised_store: Store,
) -> None:
    # 20 "keywords" of 49 characters, each hiding 24 line breaks: 500 once stored.
    store = categorised_store
    sub = await _reader(store)
    hidden = ",".join("\n".join(f"k{i}{j}" for j in range(25))[:49] for i in range(20))
    reply = await actions.set_filter(
        store, sub, ["climate", hidden], now=NOW, spelling=SLASH, by="telegram:1"
    )
    assert reply.startswith("At most 20 keywords")
    assert (await store.get_subscriber(sub.id)).subscriptions[0].keywords == ()
    # The store holds the limit too, whoever calls it.
    with pytest.raises(KeywordError):
        await store.set_keywords(sub.id, "climate", ["a\nb\nc"] * 1 + [f"w{i}" for i in range(19)])
    stored = await store.set_keywords(sub.id, "climate", ["ice\nsea level", " ice ", "melt\u202e"])
    assert stored == ["ice", "sea level", "melt"]
    assert (await store.get_subscriber(sub.id)).subscriptions[0].keywords == (
        "ice",
        "sea level",
        "melt",
    )


def test_keywords_split_at_commas_and_every_line_break() -> None:
    assert split_keywords("a, b\nc\r\nd\u2028e,,a") == ["a", "b", "c", "d", "e"]
    assert clean_keywords(["  sea \t level "]) == ["sea level"]
    with pytest.raises(KeywordError):
        clean_keywords(["x" * 51])


async def test_mysubs_quotes_a_filter_stored_before_the_limit_held(store: Store) -> None:
    # 500 keywords stored one a line by the old code, bidi and all.
    await store.upsert_category(Category("climate", "Climate"))
    sub = await store.upsert_subscriber("telegram", "3", now=NOW)
    await store.subscribe(sub.id, ["climate"], now=NOW)
    await store._db.execute(
        "UPDATE subscriptions SET keywords = ?",
        ("\n".join(f"w{i}{BIDI}" + "x" * 60 for i in range(500)),),
    )
    text = await actions.describe(store, await store.get_subscriber(sub.id), spelling=SLASH)
    _fits(text)
    assert "(shortened)" in text and text.count("w") == 20
