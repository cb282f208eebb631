from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from digests.ingest.cluster import cluster_articles, same_event, title_key
from digests.models import StoredArticleRef, StoryMember

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def ref(article_id: int, title: str, scope: str, hours: float = 1) -> StoredArticleRef:
    return StoredArticleRef(
        article_id, scope, title, title_key(title), NOW - timedelta(hours=hours)
    )


SAME = [
    (
        "Meta Pauses Employee-Tracking Program Following Internal Data Leak",
        "Meta Exposed Data Internally From Its Controversial Employee-Tracking Program",
    ),
    (
        "OpenAI launches GPT-6 with longer memory",
        "OpenAI unveils GPT-6, promising longer memory and cheaper API",
    ),
    ("Google fined by EU over ad tech", "EU fines Google €2.9bn over adtech abuse"),
    (
        "Nvidia Beats Estimates as Data Center Revenue Doubles",
        "Nvidia Revenue Beats Estimates on Data Center Demand, Shares Rise Late",
    ),
]
DIFFERENT = [
    ("Apple releases new iPhone", "Apple releases new iPad"),
    ("Nvidia shares fall after earnings", "Microsoft shares rise after earnings"),
    ("Bitcoin slides below $80,000", "Gold climbs above $3,000"),
    ("Meta Pauses Employee-Tracking Program", "Meta launches new VR headset for schools"),
]


def test_title_key_drops_small_words_and_stems() -> None:
    assert title_key("The Pauses of the Program") == "paus progra"
    assert title_key("Internal") == title_key("internally")


def test_known_pairs() -> None:
    for a, b in SAME:
        assert same_event(title_key(a), title_key(b)), (a, b)
    for a, b in DIFFERENT:
        assert not same_event(title_key(a), title_key(b)), (a, b)


def test_newsroom_example_becomes_one_story_with_both_sources() -> None:
    a, b = SAME[0]
    groups = cluster_articles([ref(1, a, "feed:1"), ref(2, b, "feed:2")], [])
    assert [(story, [m.id for m in members]) for story, members in groups] == [(None, [1, 2])]


def test_new_article_joins_an_existing_story() -> None:
    a, b = SAME[0]
    existing = [StoryMember(story_id=77, article_id=5, scope="feed:1", title_key=title_key(a))]
    groups = cluster_articles([ref(9, b, "feed:2")], existing)
    assert groups == [(77, [ref(9, b, "feed:2")])]


def test_one_scope_never_gives_a_story_two_articles() -> None:
    a, b = SAME[0]
    groups = cluster_articles([ref(1, a, "feed:1"), ref(2, b, "feed:1")], [])
    assert len(groups) == 2


TITLES = [t for pair in SAME + DIFFERENT for t in pair] + [
    "Heat pump sales overtake gas boilers in Germany",
    "Germany heat pump sales overtake gas boilers for first time",
    "Starship completes orbital propellant transfer test",
]


@st.composite
def batches(draw: st.DrawFn) -> list[StoredArticleRef]:
    picks = draw(
        st.lists(
            st.tuples(st.sampled_from(TITLES), st.integers(1, 6), st.integers(0, 48)),
            min_size=1,
            max_size=25,
        )
    )
    return [
        ref(i, title, f"feed:{scope}", hours)
        for i, (title, scope, hours) in enumerate(picks, start=1)
    ]


def partition(groups: list[tuple[int | None, list[StoredArticleRef]]]) -> set[frozenset[int]]:
    return {frozenset(m.id for m in members) for _, members in groups}


@settings(max_examples=150, deadline=None)
@given(batch=batches(), data=st.data())
def test_no_article_lost_or_doubled_and_order_does_not_matter(
    batch: list[StoredArticleRef], data: st.DataObject
) -> None:
    groups = cluster_articles(batch, [])
    ids = [m.id for _, members in groups for m in members]
    assert sorted(ids) == sorted(a.id for a in batch)
    for _, members in groups:
        assert len({m.scope for m in members}) == len(members)
    shuffled = data.draw(st.permutations(batch))
    assert partition(cluster_articles(list(shuffled), [])) == partition(groups)


def test_comparisons_per_article_stay_bounded() -> None:
    # Near-linear: each new article is compared with a bounded number of earlier ones,
    # found through shared rare tokens, never with every article seen so far.
    import digests.ingest.cluster as cluster

    calls = 0
    real = cluster._similar

    def counting(*args: object) -> float | None:
        nonlocal calls
        calls += 1
        return real(*args)  # type: ignore[arg-type]

    n = 2000
    batch = [
        ref(i, f"Company{i} reports results for quarter{i % 7} in region{i % 13}", f"feed:{i}")
        for i in range(n)
    ]
    cluster._similar = counting  # type: ignore[assignment]
    try:
        groups = cluster_articles(batch, [])
    finally:
        cluster._similar = real  # type: ignore[assignment]
    assert len(groups) >= 7 * 13  # same quarter and region: grouped; otherwise not
    assert calls <= 2 * cluster.MEMBERS_COMPARED * n  # all pairs would be ~2,000,000
