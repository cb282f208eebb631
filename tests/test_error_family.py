"""Every exception class digestbot defines belongs to one family (issue 11.4): it derives
from ``digests.errors.DigestbotError``, and its kind says how the edges answer it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import bot
import digests
from digests.breaking import BreakingError
from digests.delivery_errors import DeliveryError, RateLimited
from digests.errors import (
    ConflictError,
    DigestbotError,
    InputError,
    NotFoundError,
    UnavailableError,
    UserFacingError,
)
from digests.feedsfile import FeedsFileError
from digests.ingest.fetch import FetchError
from digests.ingest.importer import ImportFileError, RecordError
from digests.ingest.parse import FeedParseError
from digests.render import TemplateError
from digests.safejson import JSONInputError
from digests.settings import SettingsError
from digests.store import NotFound, PushBusy, StoreError
from digests.urls import InvalidURL

# Classes that must not derive from DigestbotError, and why.
_HTTP_ANSWER = (
    "an aiohttp HTTP answer the web console raises: a response (its status and page), not "
    "an error digestbot's edges translate"
)
OUTSIDE_THE_FAMILY: dict[str, str] = {
    "bot.web.feeds.Missing": _HTTP_ANSWER,
    "bot.web.security.Garbled": _HTTP_ANSWER,
    "bot.web.security.Refused": _HTTP_ANSWER,
    "bot.web.security.Unavailable": _HTTP_ANSWER,
}


def _defined_exception_classes() -> list[type[BaseException]]:
    found: list[type[BaseException]] = []
    for package in (bot, digests):
        for module_info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if module_info.name.endswith("__main__"):
                continue
            module = importlib.import_module(module_info.name)
            for _name, value in inspect.getmembers(module, inspect.isclass):
                if issubclass(value, BaseException) and value.__module__ == module.__name__:
                    found.append(value)
    return found


def test_every_exception_class_in_bot_and_digests_derives_from_digestbot_error() -> None:
    classes = _defined_exception_classes()
    # The walk must see the classes it is about, or it would pass by finding nothing.
    assert {NotFound, PushBusy, RateLimited, FetchError, InputError} <= set(classes)
    strays = [
        f"{c.__module__}.{c.__qualname__}"
        for c in classes
        if not issubclass(c, DigestbotError)
        and f"{c.__module__}.{c.__qualname__}" not in OUTSIDE_THE_FAMILY
    ]
    assert strays == []
    # Every exception named outside the family still exists (the list cannot go stale).
    named = {f"{c.__module__}.{c.__qualname__}" for c in classes}
    assert set(OUTSIDE_THE_FAMILY) <= named


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (NotFound, NotFoundError),
        (PushBusy, ConflictError),
        (BreakingError, InputError),
        (RecordError, InputError),
        (ImportFileError, InputError),
        (FeedsFileError, InputError),
        (SettingsError, InputError),
        (InvalidURL, InputError),
        (JSONInputError, InputError),
        (StoreError, UserFacingError),
        (TemplateError, UserFacingError),
        (UnavailableError, UserFacingError),
    ],
)
def test_errors_meant_for_the_user_have_their_kind(
    error: type[Exception], kind: type[Exception]
) -> None:
    assert issubclass(error, kind)
    assert issubclass(kind, UserFacingError)


@pytest.mark.parametrize("error", [DeliveryError, FetchError, FeedParseError])
def test_errors_not_meant_for_the_user_are_not_user_facing(error: type[Exception]) -> None:
    # A feed's or a platform's failure is recorded and retried, not shown as a mistake.
    assert issubclass(error, DigestbotError)
    assert not issubclass(error, UserFacingError)


@pytest.mark.parametrize(
    ("error", "is_value_error"),
    [
        # Mixed in where callers rely on it: json.loads' drop-in, URL checks that callers
        # catch together with the other ValueErrors of argument parsing, and settings
        # declared as field kinds whose parsers speak ValueError.
        (JSONInputError, True),
        (InvalidURL, True),
        (SettingsError, True),
        # Everywhere else the class is caught by name or by kind.
        (RecordError, False),
        (BreakingError, False),
        (FeedsFileError, False),
        (NotFound, False),
    ],
)
def test_value_error_is_mixed_in_only_where_relied_on(
    error: type[Exception], is_value_error: bool
) -> None:
    assert issubclass(error, ValueError) is is_value_error


def test_the_root_module_is_a_leaf() -> None:
    source = inspect.getsource(importlib.import_module("digests.errors"))
    assert "import digests" not in source and "from digests" not in source
    assert "from bot" not in source
