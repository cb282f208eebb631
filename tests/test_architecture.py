"""The core must not pull in a platform or scheduler library (DESIGN.md)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import digests

FORBIDDEN = ("telegram", "discord", "apscheduler")


def test_core_imports_no_platform_library() -> None:
    modules = [m.name for m in pkgutil.walk_packages(digests.__path__, "digests.")]
    assert "digests.store" in modules and "digests.render.renderer" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"digests imported: {result.stdout.strip()}"


def test_the_check_would_catch_a_platform_import() -> None:
    # The same probe, run on a module that does import one, must report it.
    code = (
        "import sys, telegram\n"
        f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "telegram" in result.stdout
