"""Every setting the code reads is listed in .env.example, and every listed one is read."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_env_example_matches_the_settings_read() -> None:
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    source = (ROOT / "digests" / "settings.py").read_text()
    # env.get("NAME"…) or a helper's (env, "NAME"…), the call possibly wrapped after "(".
    read = set(re.findall(r'(?:env\.get\(|\(\s*env,\s*)"([A-Z][A-Z0-9_]+)"', source))
    assert len(read) > 20
    assert read - listed == set(), "settings missing from .env.example"
    assert listed - read == set(), "settings in .env.example that nothing reads"
