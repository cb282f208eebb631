"""The admin API's one table from errors to status codes (``bot.api.errors``), the
middleware that applies it, and the push request check that raises into it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from aiohttp import web

from bot.api.breaking import MAX_ID, PushRequest, push_request
from bot.api.errors import STATUS_RULES, answer_for, errors
from digests.breaking import BreakingError
from digests.errors import (
    ConflictError,
    InputError,
    NotFoundError,
    UnavailableError,
    UserFacingError,
)
from digests.ingest.importer import RecordError
from digests.render import TemplateError
from digests.safejson import JSONInputError
from digests.settings import SettingsError
from digests.store import NotFound, PushBusy, StoreError


@pytest.mark.parametrize(
    ("error", "answer"),
    [
        (JSONInputError("nested too deep"), (400, "body is not JSON we accept: nested too deep")),
        (NotFound("no category 'sport'"), (404, "no category 'sport'")),
        (NotFoundError("no breaking push 7"), (404, "no breaking push 7")),
        (PushBusy("a push to climate is running"), (409, "a push to climate is running")),
        (BreakingError("give url or article_id"), (422, "give url or article_id")),
        (InputError("category is required"), (422, "category is required")),
        (RecordError("title: missing"), (422, "title: missing")),
        (OverflowError("date value out of range"), (422, "date value out of range")),
        (UnavailableError("database file was deleted"), (503, "database file was deleted")),
        # The operator's to fix, or a bug: a 500, logged by the middleware.
        (StoreError("database is newer"), None),
        (TemplateError("digest.j2 failed"), None),
        (UserFacingError("some other"), None),
        (RuntimeError("bug"), None),
        (ValueError("bug"), None),
    ],
)
def test_answer_for_each_kind(error: BaseException, answer: tuple[int, str] | None) -> None:
    assert answer_for(error) == answer


def test_a_record_problem_is_cut_and_made_safe() -> None:
    status, message = answer_for(RecordError("title: " + "\ud800" + "x" * 1000)) or (0, "")
    assert status == 422
    assert len(message) <= 310 and "\\ud800" in message
    message.encode("utf-8")  # no lone surrogate left


def test_specific_kinds_come_before_their_bases() -> None:
    kinds = [rule.kind for rule in STATUS_RULES]
    for i, earlier in enumerate(kinds):
        for later in kinds[i + 1 :]:
            assert not issubclass(later, earlier), f"{later} is shadowed by {earlier}"


def test_a_settings_error_is_input_but_never_reaches_a_route() -> None:
    # Documented for the table's readers: SettingsError is an InputError (422 if raised).
    assert answer_for(SettingsError("X: bad")) == (422, "X: bad")


async def _serve(local_server: Callable[[web.Application], Any], error: BaseException) -> str:
    async def handler(request: web.Request) -> web.Response:
        raise error

    app = web.Application(middlewares=[errors])
    app.router.add_get("/", handler)
    return await local_server(app)


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (NotFound("no article 9"), 404, {"error": "no article 9"}),
        (ConflictError("busy"), 409, {"error": "busy"}),
        (UnavailableError("database lost"), 503, {"error": "database lost"}),
        (KeyError("bug"), 500, {"error": "internal error"}),
        (web.HTTPMethodNotAllowed("POST", ["GET"]), 405, {"error": "Method Not Allowed"}),
    ],
)
async def test_the_middleware_answers_json(  # type: ignore[no-untyped-def]
    local_server, error: BaseException, status: int, body: dict[str, str]
) -> None:
    base = await _serve(local_server, error)
    async with httpx.AsyncClient(base_url=base) as client:
        response = await client.get("/")
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == body


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "expected a JSON object"),
        ({}, "category is required"),
        ({"category": ""}, "category is required"),
        (
            {"category": "c", "article_id": True},
            f"article_id must be an integer from 1 to {MAX_ID}",
        ),
        ({"category": "c", "article_id": 10**5000}, "article_id must be an integer"),
        ({"category": "c", "article_id": 0}, "article_id must be an integer"),
        ({"category": "c", "url": 5}, "url must be a string"),
        ({"category": "c", "summary": []}, "summary must be a string"),
        ({"category": "c", "confirm": "yes"}, "confirm must be true or false"),
        ({"category": "c", "cross_category": 1}, "cross_category must be true or false"),
    ],
)
def test_push_request_refuses_with_an_input_error(body: Any, message: str) -> None:
    with pytest.raises(InputError, match="^" + message.replace("(", r"\(")):
        push_request(body)


def test_push_request_keeps_what_was_asked() -> None:
    asked = push_request(
        {"category": "climate", "article_id": 3, "title": "T", "confirm": True, "extra": 1}
    )
    assert asked == PushRequest("climate", 3, None, "T", None, True, False)
