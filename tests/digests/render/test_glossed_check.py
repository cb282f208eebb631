"""Renderer.check tries every template on a story with a translated model summary, so an
operator's template that fails on one stops the start instead of a dispatch."""

from __future__ import annotations

from pathlib import Path

import pytest

from digests.i18n import SUPPORTED_LANGUAGES
from digests.render import Renderer, TemplateError
from digests.render.sample import sample_stories, sample_story
from tests.conftest import NOW


def test_the_sample_story_carries_a_translated_gloss() -> None:
    plain, glossed = sample_stories(NOW)
    assert plain.gloss is None and plain.title == plain.lead.title
    assert glossed.translated and glossed.title != glossed.lead.title
    assert glossed.summary != glossed.lead.summary
    assert sample_story(NOW).gloss == glossed.gloss


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("telegram/story.html.j2", "{% if story.translated %}{{ 1/0 }}{% endif %}"),
        ("discord/story.md.j2", "{{ story.summary | oneline(story.gloss.no_such_field) }}"),
        ("plain/breaking.txt.j2", "{% if story.gloss %}{{ story.gloss.nope.x }}{% endif %}"),
    ],
)
def test_a_template_that_fails_on_a_glossed_story_stops_the_check(
    tmp_path: Path, name: str, content: str
) -> None:
    path = tmp_path / name
    path.parent.mkdir(parents=True)
    path.write_text(content)
    with pytest.raises(TemplateError, match=name.replace(".", r"\.")):
        Renderer(tmp_path).check(SUPPORTED_LANGUAGES)


def test_an_operator_template_written_for_articles_still_passes(tmp_path: Path) -> None:
    (tmp_path / "telegram").mkdir()
    (tmp_path / "telegram" / "story.html.j2").write_text(
        '<a href="{{ story.lead.url }}">{{ story.lead.title }}</a>\n'
        "{{ story.lead.summary | oneline }}"
    )
    Renderer(tmp_path).check(SUPPORTED_LANGUAGES)
