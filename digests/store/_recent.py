"""The members of recent stories that one store connection keeps in memory, so that
grouping a batch reads only the stories it could join (see ``RecentStories``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from digests.models import StoredArticleRef, StoryMember
from digests.timeutil import to_db

# How far the oldest story kept in memory may trail the window before it is pruned.
PRUNE_AFTER = timedelta(hours=1)


class RecentStories:
    """The members of recent stories, indexed by title-key token, as one connection last
    read them; kept up to date by that connection's own groupings.

    A batch is grouped against the stories that share at least one token with it (the
    clustering never joins an article to a story sharing none, and every story holding a
    token is included, so the result is the one the whole list would give), which keeps
    the cost of grouping a batch independent of how many stories are recent.
    """

    def __init__(self, version: object, since: datetime) -> None:
        # What StoryStore._version said when these were read (an int on SQLite, a text
        # token on PostgreSQL).
        self.version = version
        self.since = since
        self.last_seen: dict[int, str] = {}
        self.members: dict[int, list[StoryMember]] = {}
        self.by_token: dict[str, set[int]] = {}

    def add(self, member: StoryMember, last_seen: str) -> None:
        self.last_seen[member.story_id] = max(last_seen, self.last_seen.get(member.story_id, ""))
        self.members.setdefault(member.story_id, []).append(member)
        for token in member.title_key.split():
            self.by_token.setdefault(token, set()).add(member.story_id)

    def place(self, story_id: int, last_seen: str, articles: Sequence[StoredArticleRef]) -> None:
        for a in articles:
            self.add(StoryMember(story_id, a.id, a.scope, a.title_key), last_seen)

    def retitle(self, story_id: int, article_id: int, title_key: str) -> None:
        members = self.members.get(story_id)
        if members is None:
            return
        for i, member in enumerate(members):
            if member.article_id == article_id:
                members[i] = StoryMember(story_id, article_id, member.scope, title_key)
                # Old tokens may still point here: a story too many is harmless.
                for token in title_key.split():
                    self.by_token.setdefault(token, set()).add(story_id)

    def sharing_a_token(
        self, articles: Sequence[StoredArticleRef], since: datetime
    ) -> list[StoryMember]:
        """Members of stories seen since ``since`` sharing a token with ``articles``, in
        the order they entered the store."""
        floor = to_db(since)
        story_ids: set[int] = set()
        for a in articles:
            for token in a.title_key.split():
                story_ids.update(self.by_token.get(token, ()))
        found = [
            m
            for story_id in story_ids
            if self.last_seen.get(story_id, "") >= floor  # pruned: gone
            for m in self.members[story_id]
        ]
        found.sort(key=lambda m: m.article_id)
        return found

    def prune(self, since: datetime) -> None:
        floor = to_db(since)
        gone = {story_id for story_id, seen in self.last_seen.items() if seen < floor}
        for story_id in gone:
            del self.last_seen[story_id]
            for member in self.members.pop(story_id):
                for token in member.title_key.split():
                    holders = self.by_token.get(token)
                    if holders is not None:
                        holders.discard(story_id)
                        if not holders:
                            del self.by_token[token]
        self.since = since
