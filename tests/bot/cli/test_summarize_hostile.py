"""``digestbot summarize`` with hostile arguments (huge, negative, surrogate, full-width ids,
unknown languages) and hostile answers (odd Retry-After values, bodies that are no chat
completion, errors that repeat the key, whole or wrapped over lines): one line, no
traceback, never the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot.cli.test_summarize import KEY, newsroom, run, server  # noqa: F401
from tests.fakes.openai_api import FakeOpenAIServer, Reply


@pytest.mark.parametrize(
    "argv",
    [
        ["--story", "9" * 5000],
        ["--story", "-1"],
        ["--story", "1\ud800"],
        ["--story", "１"],
        ["--story", "1", "--lang", "xx"],
        ["--story", "1", "--lang", "vi\udcff"],
        ["--story", "99999"],
    ],
)
def test_hostile_arguments_are_one_line(newsroom: Path, argv: list[str], capsys) -> None:  # noqa: F811
    code, out = run("summarize", *argv)
    err = capsys.readouterr().err
    assert code != 0 or "story 1" in out
    assert "Traceback" not in out + err
    assert KEY not in out + err


@pytest.mark.parametrize(
    "reply",
    [
        Reply.rate_limited("99999999999999999999"),
        Reply.rate_limited("Wed, 21 Oct 2015 07:28:00 GMT"),
        Reply.rate_limited("-5"),
        Reply.rate_limited(None, ms="1e308"),
        Reply.error(401, f"Incorrect API key provided: {KEY}"),
        Reply.error(400, f"bad header Authorization: Bearer {KEY[:-1]}\n{KEY[-1]}"),
        Reply.body('{"choices": [{"message": {"content": 5}}], "usage": {"prompt_tokens": 1e400}}'),
        Reply.body('{"choices": "x"}'),
        Reply.body("<html>proxy</html>"),
    ],
)
def test_hostile_answers_are_one_line_without_the_key(
    newsroom: Path,  # noqa: F811
    server: FakeOpenAIServer,  # noqa: F811
    reply: Reply,
    capsys,
) -> None:
    server.fake.then(reply)
    _, out = run("summarize", "--story", "1")
    err = capsys.readouterr().err
    assert "Traceback" not in out + err
    assert KEY not in out + err and KEY[:-1] not in out + err
