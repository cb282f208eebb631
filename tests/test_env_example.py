""".env.example is written from the settings' declarations, and the committed file is
exactly what they give (after changing a setting: ``python -m bot.settings > .env.example``)."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import make_dataclass
from pathlib import Path

import pytest

from bot.settings import SECTIONS, BotSettings, render_env_example, render_settings_table
from digests.envfields import Section, Text, declared, env_example, setting

ROOT = Path(__file__).parents[1]


def test_env_example_is_written_from_the_declarations() -> None:
    committed = (ROOT / ".env.example").read_text()
    assert committed == render_env_example(), "run: python -m bot.settings > .env.example"


def test_env_example_lists_every_setting_once_with_its_default() -> None:
    listed = re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", (ROOT / ".env.example").read_text(), re.M)
    specs = list(declared(BotSettings))
    assert len(listed) == len(specs) > 40
    assert dict(listed) == {spec.env: spec.kind.show(default) for spec, default in specs}
    assert dict(listed)["DISCORD_SHARD_COUNT"] == "" and dict(listed)["FETCH_TIMEOUT_SECONDS"]


def test_the_script_prints_the_file() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.settings"], capture_output=True, text=True, check=True
    )
    assert result.stdout == render_env_example()


def test_a_setting_declared_twice_or_in_no_section_is_refused() -> None:
    field = setting("SOME_NAME", Text(), None, "help", section="nowhere")
    twice = setting("SOME_NAME", Text(), None, "help again", section="storage")
    broken = make_dataclass("Broken", [("one", "str | None", field), ("two", "str | None", twice)])
    with pytest.raises(ValueError, match=r"declared twice: \['SOME_NAME'\].*\['nowhere'\]"):
        env_example("intro", [*SECTIONS, Section("x", "x")], [broken])


def test_the_readme_table_has_a_row_per_setting_in_the_same_order() -> None:
    listed = re.findall(r"^([A-Z][A-Z0-9_]+)=", render_env_example(), re.M)
    rows = re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \| (.+?) \|", render_settings_table(), re.M)
    assert [name for name, _ in rows] == listed
    assert dict(rows)["LOG_LEVEL"] == "`INFO`" and dict(rows)["API_TOKEN"] == "(empty)"
