"""``digestbot console-user add|remove|list``: one-time and chosen passwords, names that
cannot be accounts, duplicates (also concurrent), and the audit."""

from __future__ import annotations

import io
import re
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.web.passwords import verify_password

ONE_TIME = re.compile(r"one-time password: (\S+)")


@pytest.fixture
def workdir(clean_cwd: Path) -> Path:
    assert run("init")[0] == 0
    return clean_cwd


def run(*argv: str, stdin: str | None = None) -> tuple[int, str]:
    out = io.StringIO()
    if stdin is None:
        return main(list(argv), out=out), out.getvalue()
    saved = __import__("sys").stdin
    __import__("sys").stdin = io.StringIO(stdin)
    try:
        return main(list(argv), out=out), out.getvalue()
    finally:
        __import__("sys").stdin = saved


def stored(name: str) -> sqlite3.Row | None:
    with sqlite3.connect("digestbot.db") as db:
        db.row_factory = sqlite3.Row
        return db.execute("SELECT * FROM console_users WHERE name = ?", (name,)).fetchone()


def test_add_prints_a_one_time_password_that_must_be_changed(workdir: Path) -> None:
    status, out = run("console-user", "add", "ada", "--role", "admin")
    assert status == 0, out
    found = ONE_TIME.search(out)
    assert found
    row = stored("ada")
    assert row is not None and row["role"] == "admin" and row["must_change"] == 1
    assert verify_password(row["password_hash"], found.group(1))


def test_a_password_from_stdin_is_not_one_time(workdir: Path) -> None:
    status, out = run(
        "console-user", "add", "ed", "--password-stdin", stdin="a long enough secret\n"
    )
    assert status == 0, out
    assert "one-time" not in out and "a long enough secret" not in out
    row = stored("ed")
    assert row is not None and row["must_change"] == 0 and row["role"] == "editor"
    assert verify_password(row["password_hash"], "a long enough secret")


def test_a_short_password_from_stdin_is_refused(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("console-user", "add", "ed", "--password-stdin", stdin="short\n")[0] == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "12" in err
    assert stored("ed") is None


@pytest.mark.parametrize(
    "name",
    ["", "x" * 65, "ed\x00", "ed\u202e", "e d", "ed\udcff", "ed/../x", "<b>"],
)
def test_names_that_cannot_be_accounts(
    workdir: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    assert run("console-user", "add", name)[0] == 2
    err = capsys.readouterr().err
    assert err.startswith("digestbot: error: console account name:") and err.count("\n") == 1
    assert "\u202e" not in err and "\x00" not in err


def test_a_vietnamese_name_is_one_name_however_typed(workdir: Path) -> None:
    assert run("console-user", "add", "ho\u00e0ng")[0] == 0
    assert run("console-user", "add", "hoa\u0300ng")[0] == 2  # the same name, decomposed


def test_a_duplicate_is_one_line(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("console-user", "add", "ed")[0] == 0
    capsys.readouterr()
    assert run("console-user", "add", "ed", "--role", "admin")[0] == 2
    err = capsys.readouterr().err
    assert "exists already" in err and err.count("\n") == 1
    row = stored("ed")
    assert row is not None and row["role"] == "editor"


def test_list_and_remove_are_audited_and_never_show_hashes(workdir: Path) -> None:
    assert run("console-user", "list") == (
        0,
        "no console accounts yet; add one with 'digestbot console-user add NAME'\n",
    )
    run("console-user", "add", "ed")
    run("console-user", "add", "ada", "--role", "admin")
    status, out = run("console-user", "list")
    assert status == 0
    lines = out.splitlines()
    assert lines[1].split()[:2] == ["ada", "admin"] and lines[2].split()[:2] == ["ed", "editor"]
    assert "argon2" not in out
    assert run("console-user", "remove", "ed")[0] == 0
    assert run("console-user", "remove", "ed")[0] == 2
    _, log = run("audit")
    assert "account-remove" in log and log.count("account-add") == 2


def test_unlock_forgets_an_accounts_wrong_passwords(workdir: Path) -> None:
    run("console-user", "add", "ed")
    with sqlite3.connect("digestbot.db") as db:
        for key in ("account:ed", "address:203.0.113.9"):
            db.execute(
                "INSERT INTO console_logins (key, failures, last_failure, locked_until) "
                "VALUES (?, 5, '2026-12-02T12:00:00+00:00', '2999-01-01T00:00:00+00:00')",
                (key,),
            )
    status, out = run("console-user", "unlock", "ed")
    assert (status, out) == (
        0,
        "console account ed may sign in again; its wrong passwords are forgotten\n",
    )
    with sqlite3.connect("digestbot.db") as db:
        left = [row[0] for row in db.execute("SELECT key FROM console_logins")]
    assert left == ["address:203.0.113.9"]  # a guessing address stays locked
    assert run("console-user", "unlock", "nobody")[0] == 2
    assert "account-unlock" in run("audit")[1]
