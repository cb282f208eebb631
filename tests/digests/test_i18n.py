"""Every string a reader can see has a Vietnamese translation, and parameters survive."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from digests.i18n import gettext, normalise_language
from digests.schedule import WEEKDAYS

ROOT = Path(__file__).parents[2]
PO = ROOT / "digests" / "locale" / "vi" / "LC_MESSAGES" / "digestbot.po"


def test_every_extracted_message_is_translated(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "--no-default-keywords",
            "-k",
            "_",
            "-k",
            "gettext:2",
            "-k",
            "ngettext:2,3",
            "-k",
            "t:2",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        wanted = [m.id for m in read_po(handle) if m.id]
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    assert len(wanted) > 50
    missing = [m for m in wanted if m not in catalog or not catalog[m].string]
    assert missing == []
    for message in catalog:
        if not message.id or isinstance(message.id, tuple):
            continue
        assert sorted(re.findall(r"%\(\w+\)[sd]", message.id)) == sorted(
            re.findall(r"%\(\w+\)[sd]", message.string)
        ), message.id


def test_weekday_names_are_translated() -> None:
    names = [gettext("vi", day.capitalize()) for day in WEEKDAYS]
    assert names[0] == "thứ Hai" and names[6] == "Chủ nhật"


def test_language_codes_from_platforms() -> None:
    assert normalise_language("vi-VN") == "vi"
    assert normalise_language("en_US") == "en"
    assert normalise_language("fr", default="vi") == "vi"
    assert normalise_language(None) == "en"


def test_telegram_command_descriptions_are_translated() -> None:
    from bot.telegram.commands import COMMANDS, bot_commands

    english = bot_commands("en")
    vietnamese = bot_commands("vi")
    assert [c.command for c in english] == [name for name, _ in COMMANDS]
    for en, vi in zip(english, vietnamese, strict=True):
        assert en.description != vi.description, en.command
        assert 3 <= len(vi.description) <= 256
