"""Fixtures shared by the CLI tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Settings a developer's shell may carry that would change what the CLI reads.
_LEAKY = ("DATABASE_URL", "FEEDS_FILE", "TEMPLATES_DIR", "DIGEST_", "FEED_")


@pytest.fixture
def clean_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp_path`` as the working folder, with no database or feeds settings inherited."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(_LEAKY):
            monkeypatch.delenv(name)
    return tmp_path
