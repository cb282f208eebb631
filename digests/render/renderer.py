"""Render digests, breaking news and help texts into platform messages.

All Jinja2 use is here and in ``templates``. A Renderer keeps one environment per platform
and language, and the digest renderers return ``OutgoingMessage`` lists already split to
the platform's limits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from html import escape, unescape
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from digests import i18n
from digests.assemble import DigestPlan, Section, Story
from digests.errors import UserFacingError
from digests.ingest.normalise import read_minutes
from digests.models import Category
from digests.outgoing import OutgoingMessage
from digests.reach_settings import Reach
from digests.render.markup import clip, discord_escape, discord_url, one_line, strip_control
from digests.render.reach import lead_story, preview_url, shown_picture, tagged_story, with_preview
from digests.render.sample import sample_story
from digests.render.split import (
    DISCORD_CONTENT_LIMIT,
    PLAIN_LIMIT,
    TELEGRAM_LIMIT,
    Block,
    Remembered,
    block_marker,
    join,
    pack,
    parse_blocks,
)
from digests.render.templates import PLATFORMS, make_environment

DISCORD_DESCRIPTION_LIMIT = 4096
DISCORD_TOTAL_LIMIT = 6000
DISCORD_EMBEDS_PER_MESSAGE = 10
DISCORD_TITLE_LIMIT = 256
DISCORD_COLOUR = 0x2B6CB0
BREAKING_COLOUR = 0xC53030
# A story covered by dozens of outlets lists the first few; the rest are counted.
MAX_SOURCES_SHOWN = 5
STORY_TEMPLATES = {"telegram": "story.html.j2", "discord": "story.md.j2", "plain": "story.txt.j2"}
STORY_CACHE_SIZE = 20_000


@dataclass(frozen=True)
class Presentation:
    """How a rendering is presented to its subscriber: their language and time zone."""

    language: str = "en"
    timezone: str = "UTC"


class TemplateError(UserFacingError):
    """An operator's template failed to render; the message names the template."""


def _failure(where: str, exc: BaseException) -> TemplateError:
    """One line naming the template (the included one, for a syntax error in it)."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        where = exc.filename or exc.name or where
        detail = f"{exc.message} (line {exc.lineno})"
    else:
        detail = str(exc) or type(exc).__name__
    if isinstance(exc, UnicodeDecodeError):
        detail = f"not UTF-8 text ({detail})"
    elif isinstance(exc, RecursionError):
        detail = "it includes itself (endless recursion)"
    return TemplateError(f"template {where} failed: {' '.join(detail.split())}")


class Renderer:
    def __init__(self, templates_dir: Path | None = None, reach: Reach | None = None) -> None:
        self._override = templates_dir
        # Link tags and pictures (settings.reach): the defaults show pictures, tag nothing.
        self._reach = reach if reach is not None else Reach()
        # Each story as one platform's readers see it (its links tagged), kept like
        # ``_stories`` so that the view of a story is one object for the story cache.
        self._views: dict[tuple[str, int], tuple[Story, Story]] = {}
        self._envs: dict[tuple[str, str], jinja2.Environment] = {}
        # Rendered story blocks, keyed by the Story object itself (kept alive here, so its
        # id cannot be reused): one story appears in thousands of digests of a dispatch.
        self._stories: dict[tuple[str, str, bool, int], tuple[Story, str]] = {}
        self._telegram_length = Remembered()

    def environment(self, platform: str, language: str) -> jinja2.Environment:
        key = (platform, language)
        env = self._envs.get(key)
        if env is None:
            env = make_environment(
                platform,
                override=self._override,
                filters={
                    "md": discord_escape,
                    "mdurl": discord_url,
                    "oneline": one_line,
                    "clip": clip,
                    "clean": strip_control,
                },
                globals_={"block": block_marker},
            )
            env.install_gettext_translations(i18n.translations(language), newstyle=True)
            self._envs[key] = env
        return env

    def _render(self, platform: str, name: str, reader: Presentation, **context: Any) -> str:
        env = self.environment(platform, reader.language)
        try:
            template = env.get_template(name)
            return template.render(**context)
        # An operator's template can fail in any way: {{ 1/0 }}, a file that is not UTF-8,
        # one that includes itself.
        except Exception as exc:
            raise _failure(f"{platform}/{name}", exc) from exc

    def check(self, languages: Sequence[str]) -> None:
        """Render every template once, in each language, with a sample story (and an empty
        digest), and compile every template file of TEMPLATES_DIR, so that a broken
        template stops the start instead of every dispatch. Raises TemplateError."""
        now = datetime.now(UTC)
        story = sample_story(now)
        full = DigestPlan(0, (Section(Category("sample", "Sample"), (story,)),), now, 1)
        empty = DigestPlan(0, (), now, 0)
        for language in languages:
            reader = Presentation(language)
            for platform in PLATFORMS:
                for plan in (full, empty):
                    self.render_digest(plan, platform, reader)
                self.render_breaking(story, platform, reader, now)
                context = self._context(reader, now)
                self._story(platform, story, reader, context, compact=True)
                for name in ("help", "welcome"):
                    self.render_text(platform, name, reader)
        self._stories.clear()
        self._views.clear()
        if self._override is None:
            return
        for platform in PLATFORMS:
            folder = self._override / platform
            env = self.environment(platform, languages[0] if languages else "en")
            for path in sorted(folder.rglob("*.j2")) if folder.is_dir() else ():
                if not path.is_file() or path.name.startswith("."):
                    continue
                name = path.relative_to(folder).as_posix()
                try:
                    env.get_template(name)
                except Exception as exc:
                    raise _failure(f"{platform}/{name}", exc) from exc

    def _story(
        self,
        platform: str,
        story: Story,
        reader: Presentation,
        context: dict[str, Any],
        *,
        compact: bool = False,
    ) -> str:
        """One story rendered with the platform's story template, cached per story."""
        key = (platform, reader.language, compact, id(story))
        hit = self._stories.get(key)
        if hit is not None and hit[0] is story:
            return hit[1]
        name = STORY_TEMPLATES[platform]
        text = self._render(platform, name, reader, story=story, compact=compact, **context).strip()
        if platform == "telegram":
            text = Markup(text)  # already escaped by the story template
        if len(self._stories) >= STORY_CACHE_SIZE:
            self._stories.clear()
        self._stories[key] = (story, text)
        return text

    def _view(self, story: Story, platform: str) -> Story:
        """``story`` with its links tagged for ``platform`` (the same object each time)."""
        key = (platform, id(story))
        hit = self._views.get(key)
        if hit is not None and hit[0] is story:
            return hit[1]
        view = tagged_story(story, self._reach, platform)
        if len(self._views) >= STORY_CACHE_SIZE:
            self._views.clear()
        self._views[key] = (story, view)
        return view

    def _sections(self, plan: DigestPlan, platform: str) -> tuple[Section, ...]:
        if not self._reach.tags_links:
            return plan.sections  # nothing to tag: every story is its own view
        return tuple(
            Section(s.category, tuple(self._view(story, platform) for story in s.stories))
            for s in plan.sections
        )

    def _context(self, reader: Presentation, now: datetime, platform: str = "") -> dict[str, Any]:
        day = i18n.local_date(now, reader.timezone)
        context: dict[str, Any] = {
            "date": i18n.format_day(day, reader.language),
            "read_time": lambda story: (
                i18n.ngettext(
                    reader.language,
                    "%(num)d min read",
                    "%(num)d min read",
                    read_minutes(story.word_count),
                )
                % {"num": read_minutes(story.word_count)}
            ),
            "language": reader.language,
            "MAX_SOURCES": MAX_SOURCES_SHOWN,
            "more_sources": lambda story: (
                " "
                + i18n.ngettext(reader.language, "+%(num)d more", "+%(num)d more", extra)
                % {"num": extra}
                if (extra := len(story.sources) - MAX_SOURCES_SHOWN) > 0
                else ""
            ),
        }
        if platform:
            context["render_story"] = lambda story: self._story(platform, story, reader, context)
        return context

    # --- digests ----------------------------------------------------------------------

    def render_digest(
        self, plan: DigestPlan, platform: str, reader: Presentation
    ) -> list[OutgoingMessage]:
        """The digest as messages for ``platform`` (telegram, discord or plain).

        The lead story's picture: Telegram's first message previews the lead story's page
        large above its text (every other message has previews off), Discord's first embed
        shows the stored picture, plain text names it (``picture``, ``lead`` in templates).
        """
        sections = self._sections(plan, platform)
        if platform == "discord":
            return self._discord_digest(plan, sections, reader)
        lead = lead_story(sections)
        name = "digest.html.j2" if platform == "telegram" else "digest.txt.j2"
        rendered = self._render(
            platform,
            name,
            reader,
            sections=sections,
            empty=plan.is_empty,
            lead=lead,
            picture=shown_picture(lead, self._reach),
            **self._context(reader, plan.generated_at, platform),
        )
        messages = self._split_text(platform, name, parse_blocks(rendered), reader)
        return with_preview(messages, lead, self._reach) if platform == "telegram" else messages

    def _split_text(
        self, platform: str, name: str, blocks: list[Block], reader: Presentation
    ) -> list[OutgoingMessage]:
        telegram = platform == "telegram"
        limit, measure = (TELEGRAM_LIMIT, self._telegram_length) if telegram else (PLAIN_LIMIT, len)

        def shrink(block: Block) -> Block:
            # A story too long for one message is sent as its bare title, clipped.
            text = block.text
            plain = strip_control(text)
            if telegram:
                plain = unescape(re.sub(r"<[^>]*>", "", text))
                return Block(escape(clip(" ".join(plain.split()), limit // 2)), block.story_id)
            return Block(clip(plain, limit), block.story_id)

        return [
            OutgoingMessage(
                text=join(part),
                parse_mode="HTML" if telegram else None,
                story_ids=tuple(b.story_id for b in part if b.story_id is not None),
                template=f"{platform}/{name}",
            )
            for part in pack(blocks, limit=limit, measure=measure, shrink=shrink)
        ]

    def _discord_digest(
        self, plan: DigestPlan, sections: tuple[Section, ...], reader: Presentation
    ) -> list[OutgoingMessage]:
        context = self._context(reader, plan.generated_at)
        lead = lead_story(sections)
        picture = shown_picture(lead, self._reach)
        intro = self._render(
            "discord",
            "digest.md.j2",
            reader,
            sections=sections,
            empty=plan.is_empty,
            lead=lead,
            picture=picture,
            **context,
        ).strip()
        intro = clip(intro, DISCORD_CONTENT_LIMIT)
        messages: list[list[dict[str, Any]]] = [[]]
        ids: list[list[int]] = [[]]
        total = 0

        def open_embed(title: str, need: int) -> dict[str, Any]:
            # A new embed stays in the current message only if it and its first story
            # fit both the embed count and the 6,000-character total.
            nonlocal total
            embed = {
                "title": clip(title, DISCORD_TITLE_LIMIT),
                "description": "",
                "color": DISCORD_COLOUR,
            }
            if len(messages[-1]) >= DISCORD_EMBEDS_PER_MESSAGE or (
                total + len(embed["title"]) + need > DISCORD_TOTAL_LIMIT
            ):
                messages.append([])
                ids.append([])
                total = 0
            messages[-1].append(embed)
            total += len(embed["title"])
            return embed

        continued = i18n.gettext(reader.language, "(continued)")
        for section in sections:
            title = strip_control(section.category.name)
            embed: dict[str, Any] | None = None
            for story in section.stories:
                text = self._discord_story(story, reader, context)
                sep = 2 if embed and embed["description"] else 0
                if embed is None:
                    embed = open_embed(title, len(text))
                elif (
                    len(embed["description"]) + sep + len(text) > DISCORD_DESCRIPTION_LIMIT
                    or total + sep + len(text) > DISCORD_TOTAL_LIMIT
                ):
                    embed = open_embed(f"{title} {continued}", len(text))
                sep = 2 if embed["description"] else 0
                embed["description"] += "\n\n" * (sep // 2) + text
                total += sep + len(text)
                ids[-1].append(story.story_id)
        if plan.is_empty or not messages[0]:
            return [OutgoingMessage(text=intro, template="discord/digest.md.j2")]
        if picture:
            # The first embed opens with the lead story: the picture goes with it.
            messages[0][0]["image"] = {"url": picture}
        result = []
        for index, (embeds, story_ids) in enumerate(zip(messages, ids, strict=True)):
            result.append(
                OutgoingMessage(
                    text=intro if index == 0 else "",
                    embeds=tuple(embeds),
                    story_ids=tuple(story_ids),
                    template="discord/story.md.j2",
                )
            )
        return result

    def _discord_story(self, story: Story, reader: Presentation, context: dict[str, Any]) -> str:
        text = self._story("discord", story, reader, context)
        budget = min(DISCORD_DESCRIPTION_LIMIT, DISCORD_TOTAL_LIMIT - DISCORD_TITLE_LIMIT - 20)
        if len(text) > budget:
            text = self._story("discord", story, reader, context, compact=True)
        if len(text) > budget:
            text = discord_escape(clip(story.lead.title, 300))
        return text

    # --- breaking news and fixed texts -------------------------------------------------

    def render_breaking(
        self, story: Story, platform: str, reader: Presentation, now: datetime
    ) -> OutgoingMessage:
        """One breaking-news item as a single message, with its story's picture (as a
        digest shows its lead story's)."""
        context = self._context(reader, now)
        story = self._view(story, platform)
        picture = shown_picture(story, self._reach)
        if platform == "discord":
            text = self._discord_story(story, reader, context)
            title = i18n.gettext(reader.language, "Breaking news")
            embed: dict[str, Any] = {"title": title, "description": text, "color": BREAKING_COLOUR}
            if picture:
                embed["image"] = {"url": picture}
            return OutgoingMessage(
                text="",
                embeds=(embed,),
                story_ids=(story.story_id,),
                template="discord/story.md.j2",
            )
        name = "breaking.html.j2" if platform == "telegram" else "breaking.txt.j2"
        rendered = self._render(platform, name, reader, story=story, picture=picture, **context)
        messages = self._split_text(platform, name, parse_blocks(rendered), reader)
        shown = preview_url(story, self._reach) if platform == "telegram" else None
        return replace(messages[0], story_ids=(story.story_id,), preview_url=shown)

    def render_text(self, platform: str, name: str, reader: Presentation, **context: Any) -> str:
        """A fixed text (``welcome``, ``help``) for a platform, in the reader's language."""
        suffix = {"telegram": "html", "discord": "md", "plain": "txt"}[platform]
        return self._render(platform, f"{name}.{suffix}.j2", reader, **context).strip()
