"""A fake OpenAI-compatible server per test, and a request shaped like the prompt's."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from digests.summaries.model import ModelRequest
from tests.fakes.openai_api import FakeOpenAIServer, serving

KEY = "sk-test-0123456789abcdefghijklmnop"
SCHEMA = {
    "type": "object",
    "properties": {"summary": {"type": "string"}, "title": {"type": "string"}},
    "required": ["summary", "title"],
    "additionalProperties": False,
}


def make_request(language: str = "vi", *articles: tuple[str, str, str]) -> ModelRequest:
    """A request whose user message is the prompt's JSON object."""
    items = articles or (
        ("Wire One", "Harbour bridge reopens", "The bridge reopened after repairs."),
        ("Wire Two", "Bridge open again", "Traffic flows over the harbour bridge."),
    )
    data = {
        "language": language,
        "language_name": {"vi": "Vietnamese", "en": "English"}[language],
        "translate": language != "en",
        "articles": [{"source": s, "title": t, "summary": u} for s, t, u in items],
    }
    return ModelRequest(
        messages=(
            {"role": "system", "content": "Summarise the articles. Answer in JSON."},
            {"role": "user", "content": json.dumps(data, ensure_ascii=False)},
        ),
        schema=SCHEMA,
        max_tokens=300,
    )


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with serving() as started:
        yield started
