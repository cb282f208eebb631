"""The API key never reaches a ModelError or a log line, whatever the operator typed into
LLM_API_KEY. A key holding a control character (a double-quoted .env value with "\\n", an
unclosed quote that swallows the next line, a stray NUL) makes h11 refuse the header with
a message that repeats it, escaped; a server may wrap a key over lines in its error."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from bot.llm import OpenAiModel
from bot.llm.client import one_line, secret_forms
from digests.envfields import SettingsError, load_group
from digests.llm_settings import LlmSettings
from digests.summaries.model import ModelError
from tests.bot.llm.conftest import make_request
from tests.fakes.openai_api import FakeOpenAIServer, serving

SECRET = "sk-test-0123456789SECRETabcdef"
PARTS = (SECRET[:12], SECRET[12:], "0123456789SECRET")
KEYS = [
    f"{SECRET}\nLLM_MODEL=gpt-4o-mini",  # an unclosed quote swallowed the next line
    f"{SECRET[:12]}\n{SECRET[12:]}",  # "\n" inside a double-quoted .env value
    f"{SECRET}\x00",
]


@pytest.mark.parametrize("key", KEYS)
def test_the_settings_refuse_a_key_with_a_control_character(key: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_group(LlmSettings, {"LLM_BASE_URL": "http://127.0.0.1:9/v1", "LLM_API_KEY": key})
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize("key", KEYS)
async def test_a_key_with_a_control_character_is_never_shown(
    key: str, caplog: pytest.LogCaptureFixture
) -> None:
    # The settings refuse such a key (the test above); the client redacts it anyway, as
    # it would a key a server wraps over lines.
    server: FakeOpenAIServer
    with serving() as server:
        settings = load_group(LlmSettings, {"LLM_BASE_URL": server.base_url})
        model = OpenAiModel(replace(settings, api_key=key))
        with caplog.at_level(logging.DEBUG), pytest.raises(ModelError) as raised:
            await model.complete(make_request("vi"))
        await model.close()
    shown = f"{raised.value} {raised.value.args} {caplog.text}"
    for part in PARTS:
        assert part not in shown, shown


@pytest.mark.parametrize(
    "text",
    [
        f"Illegal header value b'Bearer {SECRET[:12]}\\n{SECRET[12:]}'",
        f"Incorrect API key provided: {SECRET[:20]}\n   {SECRET[20:]}",
        f"key {SECRET[:12]}\x00{SECRET[12:]} refused",
    ],
)
def test_one_line_redacts_every_form_of_the_key(text: str) -> None:
    key = f"{SECRET[:12]}\n{SECRET[12:]}"
    line = one_line(text, secret_forms(key) + secret_forms(SECRET))
    assert "[REDACTED]" in line
    for part in PARTS:
        assert part not in line, line


def test_secret_forms_of_no_key_are_none() -> None:
    assert secret_forms(None) == secret_forms("") == ()
    assert secret_forms("short")[0] == "short"
