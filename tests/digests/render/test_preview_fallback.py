"""A picture or preview problem never costs the reader the message (issue 18): the
plain-text fallback that delivery resends after a refusal carries no link preview and no
embed image, so a preview link Telegram refuses (or an image Discord refuses) is dropped
with the markup, and the digest is still delivered. Before that, the message is sent
again as it was without its preview or pictures (``without_media``): a chat that forbids
previews says nothing against the markup."""

from __future__ import annotations

import re
from dataclasses import replace

from digests.delivery_errors import MessageRejected
from digests.outgoing import Destination, OutgoingMessage
from digests.reach_settings import Reach
from digests.render import Presentation, Renderer
from digests.render.plain import PLAIN_TEXT_LIMIT, as_plain
from digests.store import OutboxItem, Store
from tests.conftest import NOW, ArticleFactory
from tests.digests.render.test_render import digest_of
from tests.digests.test_deliver import Harness, ScriptedSender

PREVIEW = "https://www.news.example/lead?utm_source=digestbot"


def test_the_plain_fallback_has_no_preview_and_no_image() -> None:
    message = OutgoingMessage(
        text="<b>Lead</b>",
        parse_mode="HTML",
        preview_url=PREVIEW,
        disable_preview=True,
        embeds=({"title": "T", "description": "d", "image": {"url": "https://i.example/a.jpg"}},),
    )
    plain = as_plain(message)
    assert plain.preview_url is None and plain.disable_preview and plain.embeds == ()
    assert "Lead" in plain.text and "i.example" not in plain.text


class RefusesPreviews(ScriptedSender):
    """Telegram answering 400 to any message whose preview link it will not take."""

    async def send(self, destination: Destination, message: OutgoingMessage) -> str:
        if message.preview_url:
            self.attempts += 1
            raise MessageRejected("Bad Request: wrong HTTP URL specified")
        return await super().send(destination, message)


async def test_a_refused_preview_still_delivers_the_digest(store: Store) -> None:
    sub = await store.upsert_subscriber("telegram", "42", now=NOW)
    first = OutgoingMessage(
        text="<b>Your news digest</b>\n<a href='https://www.news.example/lead'>Lead</a>",
        parse_mode="HTML",
        story_ids=(1,),
        preview_url=PREVIEW,
        template="telegram/digest.html.j2",
    )
    second = OutgoingMessage(text="<b>Second</b>", parse_mode="HTML", story_ids=(2,))
    await store.enqueue(
        [OutboxItem(sub.id, "digest", "2026-11-27", "telegram", [first, second], (1, 2), 9)],
        now=NOW,
    )
    sender = RefusesPreviews()
    await Harness(store, sender).worker.run_once()
    texts = [message.text for _, message in sender.sent]
    assert texts == [first.text, second.text]  # the markup kept: only the preview went
    assert all(message.preview_url is None for _, message in sender.sent)
    assert sender.attempts == 3  # refused once, then without the preview, the second part
    assert await store.sent_story_ids(sub.id) == {1, 2}


def test_the_discord_fallback_does_not_unfurl_its_links(make_article: ArticleFactory) -> None:
    """Discord turns a bare link in a message's content into the page's preview, picture
    and all; the fallback writes each as <url>, which Discord shows as the link alone."""
    articles = [
        make_article(url=f"https://www.news.example/{n}", title=f"Story {n}", image_url=None)
        for n in range(4)
    ]
    (message,) = Renderer(reach=replace(Reach(), pictures=False)).render_digest(
        digest_of(articles), "discord", Presentation()
    )
    plain = as_plain(message, PLAIN_TEXT_LIMIT["discord"])
    assert len(re.findall(r"\(<https://www\.news\.example/\d>\)", plain.text)) == 8
    assert not re.search(r"(?<!<)https?://", plain.text)
    assert "Story 3" in plain.text and plain.embeds == ()


class RefusesPictures(ScriptedSender):
    """Discord refusing any message with an embed picture, and then any markup too."""

    platform = "discord"

    def __init__(self, *, markup_too: bool) -> None:
        super().__init__()
        self.markup_too = markup_too

    async def send(self, destination: Destination, message: OutgoingMessage) -> str:
        if any("image" in embed for embed in message.embeds) or (
            self.markup_too and message.embeds
        ):
            self.attempts += 1
            raise MessageRejected("Invalid Form Body: embeds.0.image.url")
        return await super().send(destination, message)


async def test_a_refused_picture_is_left_out_then_the_markup(store: Store) -> None:
    sub = await store.upsert_subscriber("discord", "7", now=NOW)
    embed = {"title": "Climate", "description": "d", "image": {"url": "https://i.example/a.jpg"}}
    message = OutgoingMessage(embeds=(embed,), story_ids=(1,))
    for day, markup_too in (("2026-11-27", False), ("2026-11-28", True)):
        await store.enqueue(
            [OutboxItem(sub.id, "digest", day, "discord", [message], (1,), 9)], now=NOW
        )
        sender = RefusesPictures(markup_too=markup_too)
        await Harness(store, sender).worker.run_once()
        ((_, sent),) = sender.sent
        if markup_too:  # refused bare too: plain text
            assert sent.embeds == () and "Climate" in sent.text
        else:
            assert sent.embeds == ({"title": "Climate", "description": "d"},)
