"""LLM_* settings: hostile values are one-line errors that never echo the key."""

from __future__ import annotations

import pytest

from digests.settings import SettingsError, load_settings

KEY = "sk-live-0123456789abcdef"


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"LLM_API_KEY": f"{KEY}\nmore"}, "printable ASCII"),
        ({"LLM_API_KEY": f"{KEY}\x7f"}, "printable ASCII"),
        ({"LLM_API_KEY": f"{KEY} more"}, "printable ASCII"),
        ({"LLM_API_KEY": f"{KEY}é"}, "printable ASCII"),
        ({"LLM_API_KEY": f"{KEY}\udcff"}, "printable ASCII"),
        ({"LLM_BASE_URL": f"https://llm.example/v1?api-key={KEY}"}, "must not have a query"),
        ({"LLM_BASE_URL": f"https://llm.example/v1#{KEY}"}, "must not have a query"),
        ({"LLM_DAILY_TOKEN_BUDGET": "9" * 5000}, "LLM_DAILY_TOKEN_BUDGET"),
        ({"LLM_TIMEOUT_SECONDS": "nan"}, "LLM_TIMEOUT_SECONDS"),
        ({"LLM_CONCURRENCY": "0"}, "LLM_CONCURRENCY"),
        ({"LLM_MODEL": "gpt\u202e4"}, "LLM_MODEL"),
        ({"LLM_BASE_URL": "ftp://llm.example/v1"}, "LLM_BASE_URL"),
        ({"LLM_BASE_URL": "https://llm.example/\udcff"}, "LLM_BASE_URL"),
    ],
)
def test_a_bad_value_is_one_line_without_the_key(env: dict[str, str], says: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    message = str(caught.value)
    assert says in message and "\n" not in message
    assert KEY not in message and KEY[:10] not in message


def test_the_model_is_off_unless_an_address_is_set() -> None:
    assert not load_settings({}).llm.enabled
    settings = load_settings({"LLM_BASE_URL": "http://127.0.0.1:11434/v1", "LLM_API_KEY": KEY})
    assert settings.llm.enabled and settings.llm.api_key == KEY
