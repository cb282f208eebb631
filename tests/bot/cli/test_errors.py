"""The CLI's one table from errors to exit statuses (``bot.cli.errors``)."""

from __future__ import annotations

import pytest

from bot.cli.errors import EXIT_STATUS, exit_status, fail
from digests.breaking import BreakingError
from digests.delivery_errors import TransientError
from digests.errors import DigestbotError, UserFacingError
from digests.ingest.fetch import FetchError
from digests.render import TemplateError
from digests.safejson import JSONInputError
from digests.settings import SettingsError
from digests.store import NotFound, PushBusy, StoreError
from digests.urls import InvalidURL


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFound("no category 'x'"), 2),
        (PushBusy("a push is running"), 2),
        (BreakingError("no article 7"), 2),
        (InvalidURL("not an http(s) URL: 'x'"), 2),
        (JSONInputError("nested too deep"), 2),
        (SettingsError("LOG_LEVEL: must be one of …"), 2),
        (StoreError("database is newer than this digestbot"), 2),
        (TemplateError("digest.html.j2: undefined"), 2),
        (KeyboardInterrupt(), 130),
        (BrokenPipeError(), 0),
        # Not meant for the user: a bug to report, with its traceback.
        (TransientError("timed out"), 1),
        (FetchError("503"), 1),
        (DigestbotError("?"), 1),
        (RuntimeError("bug"), 1),
        (ValueError("a ValueError of our own making is a bug too"), 1),
    ],
)
def test_exit_status_of_each_kind(error: BaseException, status: int) -> None:
    assert exit_status(error) == status


def test_the_table_names_user_facing_errors_once() -> None:
    kinds = [kind for kind, _status in EXIT_STATUS]
    assert kinds.count(UserFacingError) == 1
    assert len(set(kinds)) == len(kinds)


def test_a_user_facing_error_is_one_line_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert fail(NotFound("no category 'sport'")) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "digestbot: error: no category 'sport'\n"


def test_a_bug_shows_its_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        raise RuntimeError("the bug")
    except RuntimeError as exc:
        status = fail(exc)
    assert status == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback") and "RuntimeError: the bug" in err


def test_interrupted(capsys: pytest.CaptureFixture[str]) -> None:
    assert fail(KeyboardInterrupt()) == 130
    assert capsys.readouterr().err == "digestbot: interrupted\n"
