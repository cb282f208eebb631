"""Renderer.check renders every template once with a sample story, so that a broken
operator template is found when ``digestbot run`` starts, each failure in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from digests.i18n import SUPPORTED_LANGUAGES
from digests.render import Presentation, Renderer, TemplateError


def test_the_bundled_templates_pass() -> None:
    Renderer().check(SUPPORTED_LANGUAGES)


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("plain/digest.txt.j2", "{% for %}", "Expected an expression"),
        ("telegram/breaking.html.j2", "{{ 1/0 }}", "division by zero"),
        ("discord/story.md.j2", "{{ story.no_such_field.x }}", "no_such_field"),
        ("plain/welcome.txt.j2", b"caf\xe9", "not UTF-8"),
        ("telegram/help.html.j2", "{% include 'help.html.j2' %}", "includes itself"),
        # A partial no bundled template uses is compiled too.
        ("discord/_footer.md.j2", "{{ oops(", "_footer.md.j2"),
    ],
)
def test_a_broken_override_is_one_line(
    tmp_path: Path, name: str, content: str | bytes, says: str
) -> None:
    path = tmp_path / name
    path.parent.mkdir(parents=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(TemplateError, match=says) as caught:
        Renderer(tmp_path).check(SUPPORTED_LANGUAGES)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("template ")


def test_a_failure_while_sending_is_a_template_error_too(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "help.txt.j2").write_text("{{ 1/0 }}")
    with pytest.raises(TemplateError, match=r"plain/help\.txt\.j2 failed: division by zero"):
        Renderer(tmp_path).render_text("plain", "help", Presentation())
