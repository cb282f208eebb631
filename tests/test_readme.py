"""The README names every setting that .env.example explains."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_readme_names_every_setting() -> None:
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    readme = (ROOT / "README.md").read_text()
    named = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", readme, re.M))
    assert len(listed) > 20
    assert listed - named == set(), "settings missing from the README's settings table"
    assert named - listed == set(), "settings in the README that .env.example does not list"
