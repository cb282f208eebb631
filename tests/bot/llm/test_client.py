"""OpenAiModel against the fake OpenAI-compatible server: answers with usage, each failure
mapped to its ModelError reason (Retry-After honoured), the key sent only as the Bearer
header, and the older spellings a server may ask for."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable

import pytest

from bot.llm import OpenAiModel, make_model
from bot.llm.client import TRANSPORT_LOGGERS, retry_after
from digests.envfields import load_group
from digests.llm_settings import LlmSettings
from digests.summaries.model import (
    RATE_LIMITED,
    REFUSED,
    SERVER_ERROR,
    TIMEOUT,
    UNREACHABLE,
    ModelError,
)
from tests.bot.llm.conftest import KEY, make_request
from tests.fakes.openai_api import FakeOpenAIServer, Reply

ModelFactory = Callable[..., OpenAiModel]


def settings_for(base_url: str | None, **env: str) -> LlmSettings:
    values = {"LLM_API_KEY": KEY, **env}
    if base_url is not None:
        values["LLM_BASE_URL"] = base_url
    return load_group(LlmSettings, values)


@pytest.fixture
async def model_for(server: FakeOpenAIServer) -> AsyncIterator[ModelFactory]:
    made: list[OpenAiModel] = []

    def make(**env: str) -> OpenAiModel:
        made.append(OpenAiModel(settings_for(server.base_url, **env)))
        return made[-1]

    yield make
    for model in made:
        await model.close()


async def test_an_answer_comes_with_the_usage_the_server_reported(
    server: FakeOpenAIServer, model_for: ModelFactory
) -> None:
    completion = await model_for(LLM_MODEL="gpt-4o-mini").complete(make_request("vi"))
    answer = json.loads(completion.text)
    assert answer["summary"].startswith("Theo 2 nguồn tin,")
    assert completion.model == "fake-model"
    body = server.fake.completions[0].body
    sent = len(json.dumps(body["messages"], ensure_ascii=False))
    assert completion.prompt_tokens == -(-sent // 4)
    assert completion.completion_tokens == -(-len(completion.text) // 4)
    assert body["model"] == "gpt-4o-mini" and body["max_tokens"] == 300
    assert 0 < body["temperature"] <= 0.3
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {
            "name": "story_summary",
            "schema": make_request().schema,
            "strict": True,
        },
    }


async def test_a_missing_usage_is_estimated_from_the_text(
    server: FakeOpenAIServer, model_for: ModelFactory
) -> None:
    server.fake.then(Reply(usage=False))
    request = make_request("en")
    completion = await model_for().complete(request)
    sent = sum(len(m["content"]) for m in request.messages)
    assert completion.prompt_tokens == -(-sent // 4) > 0
    assert completion.completion_tokens == -(-len(completion.text) // 4) > 0


@pytest.mark.parametrize(
    ("reply", "reason", "wait"),
    [
        (Reply.rate_limited("7"), RATE_LIMITED, 7.0),
        (Reply.rate_limited(None, ms="2500"), RATE_LIMITED, 2.5),
        (Reply.rate_limited("999999"), RATE_LIMITED, 3600.0),
        (Reply.rate_limited("9" * 5000), RATE_LIMITED, None),
        (Reply.rate_limited("soon"), RATE_LIMITED, None),
        (Reply.rate_limited(None), RATE_LIMITED, None),
        (Reply.quota_exhausted(), REFUSED, None),
        (Reply.server_error(500), SERVER_ERROR, None),
        (Reply.server_error(503), SERVER_ERROR, None),
        (Reply.error(401, "Incorrect API key provided"), REFUSED, None),
        (Reply.error(404, "The model does not exist"), REFUSED, None),
        (Reply.error(400, "messages: too long"), REFUSED, None),
    ],
)
async def test_each_failure_is_one_reason_and_one_request(
    server: FakeOpenAIServer,
    model_for: ModelFactory,
    reply: Reply,
    reason: str,
    wait: float | None,
) -> None:
    server.fake.then(reply)
    with pytest.raises(ModelError) as caught:
        await model_for().complete(make_request())
    assert caught.value.reason == reason
    assert caught.value.retry_after == wait
    message = str(caught.value)
    assert "\n" not in message and len(message) < 250
    if reason == REFUSED:
        assert f"HTTP {reply.status}" in message
    # The client never retries: the worker backs off itself.
    assert len(server.fake.completions) == 1


async def test_a_retry_after_date_is_counted_from_now() -> None:

    now = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC
    assert retry_after({"retry-after": "Thu, 01 Jan 2026 00:00:30 GMT"}, now) == 30.0
    assert retry_after({"retry-after": "Wed, 31 Dec 2025 23:00:00 GMT"}, now) == 0.0
    assert retry_after({"retry-after": "Fri, 31 Dec 9999 23:59:59 +0000"}, now) == 3600.0
    for hostile in ("nan", "inf", "-inf", "1e400", "Mon, 99 Foo 2026", "\x00\u202e"):
        assert retry_after({"retry-after": hostile}, now) in (None, 0.0, 3600.0)
    assert retry_after({"retry-after": "-5"}, now) == 0.0


async def test_a_slow_answer_is_a_timeout(
    server: FakeOpenAIServer, model_for: ModelFactory
) -> None:
    server.fake.then(Reply.slow(1.6))
    with pytest.raises(ModelError) as caught:
        await model_for(LLM_TIMEOUT_SECONDS="1").complete(make_request())
    assert caught.value.reason == TIMEOUT
    assert str(caught.value) == "timeout: no answer within 1 s"


async def test_a_stopped_server_is_unreachable(
    server: FakeOpenAIServer, model_for: ModelFactory
) -> None:
    model = model_for()
    await model.complete(make_request())
    server.stop()
    with pytest.raises(ModelError) as caught:
        await model.complete(make_request())
    assert caught.value.reason == UNREACHABLE
    server.start()  # back on the same port: the same client works again
    assert (await model.complete(make_request())).text


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        '{"choices": []}',
        "not json",
        '{"choices": [{"message": {"content": "{}"}}], "usage": {"prompt_tokens": '
        + "9" * 5000
        + "}}",
    ],
)
async def test_a_body_that_is_no_chat_completion_is_refused(
    server: FakeOpenAIServer, model_for: ModelFactory, body: str
) -> None:
    server.fake.then(Reply.body(body))
    with pytest.raises(ModelError) as caught:
        await model_for().complete(make_request())
    assert caught.value.reason == REFUSED
    assert "\n" not in str(caught.value)


async def test_odd_fields_in_an_answer_are_not_trusted(
    server: FakeOpenAIServer, model_for: ModelFactory
) -> None:
    server.fake.then(
        Reply.body(
            '{"model": 7, "choices": [{"message": {"content": 42}}], '
            '"usage": {"prompt_tokens": -3, "completion_tokens": "many"}}'
        )
    )
    completion = await model_for(LLM_MODEL="my-model").complete(make_request())
    assert completion.text == ""
    assert completion.model == "my-model"
    assert completion.prompt_tokens > 0 and completion.completion_tokens == 0


async def test_the_key_goes_as_bearer_and_nowhere_else(
    server: FakeOpenAIServer, model_for: ModelFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    model = model_for()
    for name in TRANSPORT_LOGGERS:
        # Even someone turning the transports' debug logs on must not see it (caplog
        # puts the levels back).
        caplog.set_level(logging.DEBUG, logger=name)
    await model.complete(make_request())
    server.fake.then(Reply.error(401, f"Incorrect API key provided: {KEY}"))
    with pytest.raises(ModelError) as caught:
        await model.complete(make_request())
    errors = [str(caught.value)]
    server.fake.then(Reply.rate_limited("1"))
    with pytest.raises(ModelError) as again:
        await model.complete(make_request())
    errors.append(str(again.value))
    assert server.fake.requests[0].headers["Authorization"] == f"Bearer {KEY}"
    assert all(KEY not in r.body.__repr__() for r in server.fake.requests)
    assert "[REDACTED]" in errors[0]
    assert not [e for e in errors if KEY in e]
    assert caplog.records, "the debug logs were on: something must have been logged"
    for record in caplog.records:
        assert KEY not in record.getMessage()
        assert KEY not in (record.exc_text or "")


async def test_no_key_means_a_placeholder_key(server: FakeOpenAIServer) -> None:
    model = OpenAiModel(load_group(LlmSettings, {"LLM_BASE_URL": server.base_url}))
    try:
        await model.complete(make_request())
    finally:
        await model.close()
    assert server.fake.requests[0].headers["Authorization"] == "Bearer not-needed"


async def test_a_refused_json_schema_falls_back_to_json_object_once(
    server: FakeOpenAIServer, model_for: ModelFactory
) -> None:
    server.fake.refuse_json_schema = True
    model = model_for()
    first = await model.complete(make_request())
    second = await model.complete(make_request())
    assert json.loads(first.text) and json.loads(second.text)
    kinds = [r.body["response_format"]["type"] for r in server.fake.completions]
    # Refused, asked again, and the next call goes straight to the older spelling.
    assert kinds == ["json_schema", "json_object", "json_object"]
    assert not model.dialect.json_schema


async def test_a_server_refusing_any_response_format_is_asked_without_one(
    server: FakeOpenAIServer, model_for: ModelFactory
) -> None:
    refusal = Reply.error(400, "Unrecognized request argument supplied: response_format")
    server.fake.then(refusal, refusal)
    model = model_for()
    assert json.loads((await model.complete(make_request())).text)
    await model.complete(make_request())
    formats = [r.body.get("response_format", {}).get("type") for r in server.fake.completions]
    assert formats == ["json_schema", "json_object", None, None]


async def test_a_refused_max_tokens_becomes_max_completion_tokens(
    server: FakeOpenAIServer, model_for: ModelFactory
) -> None:
    server.fake.then(
        Reply.error(
            400,
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead.",
        )
    )
    await model_for().complete(make_request())
    first, second = (r.body for r in server.fake.completions)
    assert first["max_tokens"] == 300 and "max_completion_tokens" not in first
    assert second["max_completion_tokens"] == 300 and "max_tokens" not in second


async def test_a_refusal_about_something_else_is_not_asked_again(
    server: FakeOpenAIServer, model_for: ModelFactory
) -> None:
    server.fake.refuse_json_schema = True
    model = model_for()
    await model.complete(make_request())  # json_schema refused, json_object answered
    server.fake.then(Reply.error(400, "context length exceeded"))
    with pytest.raises(ModelError) as caught:
        await model.complete(make_request())
    assert caught.value.reason == REFUSED
    assert len(server.fake.completions) == 3


def test_make_model_is_none_without_a_base_url() -> None:
    assert make_model(settings_for(None)) is None


async def test_make_model_builds_the_client_when_configured(server: FakeOpenAIServer) -> None:
    model = make_model(settings_for(server.base_url))
    assert isinstance(model, OpenAiModel)
    await model.close()
