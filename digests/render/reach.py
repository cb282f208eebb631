"""What rendering adds for the newsroom's reach: its analytics tags on each outgoing link
(``digests.linktags``) and the lead story's picture (Telegram's large link preview, the
first Discord embed's image, a line in plain text). Pure helpers for ``Renderer``."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import replace

from digests.assemble import Section, Story
from digests.linktags import tag_link
from digests.models import Article
from digests.outgoing import OutgoingMessage
from digests.pictures import preview_link
from digests.reach_settings import Reach


def tagged_story(story: Story, reach: Reach, platform: str) -> Story:
    """The story as readers on ``platform`` see it: every article's link carries the
    newsroom's tags when its host is tagged. The story itself is left as it is (its URLs
    are the stored, canonical ones); without tags it is returned unchanged."""
    if not reach.tags_links:
        return story

    def tagged(article: Article) -> Article:
        url = tag_link(article.url, reach.link_tags, reach.link_tag_hosts, platform=platform)
        return article if url == article.url else replace(article, url=url)

    articles = tuple(tagged(a) for a in story.articles)
    lead = next((t for a, t in zip(story.articles, articles, strict=True) if a is story.lead), None)
    # Only article links change: the picture (an image, not a visit) stays untagged.
    return replace(story, lead=lead or tagged(story.lead), articles=articles)


def lead_story(sections: Sequence[Section]) -> Story | None:
    """The story a digest opens with: the first of its first section."""
    for section in sections:
        if section.stories:
            return section.stories[0]
    return None


def shown_picture(story: Story | None, reach: Reach) -> str | None:
    """The picture to show for ``story``: None without one, or with DIGEST_PICTURES=off."""
    return story.picture if story is not None and reach.pictures else None


# A dispatch asks this of the same few lead stories for thousands of digests.
_preview_link = functools.lru_cache(maxsize=4096)(preview_link)


def preview_url(story: Story | None, reach: Reach) -> str | None:
    """The link Telegram previews large above a message's text: the story's own page (as
    readers get it, tagged), whether or not a picture is stored for it: Telegram draws the
    preview from the page, usually its og:image, and a feed often names no picture."""
    # An address Telegram cannot preview (4,000 characters, a malformed host from an
    # older row) gets no preview rather than a refused message.
    return _preview_link(story.lead.url) if story is not None and reach.pictures else None


def with_preview(
    messages: list[OutgoingMessage], lead: Story | None, reach: Reach
) -> list[OutgoingMessage]:
    """A Telegram digest's messages with the lead story's preview on the message that
    shows it: the first, unless an operator's long header filled that one alone (its
    preview would be of a story it does not show). Every other message has none."""
    url = preview_url(lead, reach)
    if lead is None or url is None:
        return messages
    index = next((i for i, m in enumerate(messages) if lead.story_id in m.story_ids), 0)
    return [replace(m, preview_url=url) if i == index else m for i, m in enumerate(messages)]
