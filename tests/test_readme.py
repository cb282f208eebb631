"""The README's table of settings is the one the declarations make (``python -m bot.settings
--readme``), so the README names every setting with its current default and help."""

from __future__ import annotations

from pathlib import Path

from bot.settings import render_settings_table

ROOT = Path(__file__).parents[1]


def test_readme_settings_table_is_generated_from_the_declarations() -> None:
    table = render_settings_table().strip()
    assert table.count("\n| `") > 20
    readme = (ROOT / "README.md").read_text()
    assert table in readme, "regenerate it: python -m bot.settings --readme"
