"""Finding and loading the Jinja2 templates: the operator's TEMPLATES_DIR first, then the
copy bundled in the installed package, then the checkout's ``templates/`` folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2

PLATFORMS = ("telegram", "discord", "plain")


def bundled_templates_dir() -> Path:
    """Where the default templates are: inside the wheel, or in the source checkout."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "_templates"
    if installed.is_dir():
        return installed
    checkout = package.parent / "templates"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"digestbot's templates are missing (looked in {installed} and {checkout})"
    )


def make_environment(
    platform: str,
    *,
    override: Path | None,
    filters: dict[str, Callable[..., Any]],
    globals_: dict[str, Any],
) -> jinja2.Environment:
    """A Jinja2 environment for one platform, with i18n and the given filters."""
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}")
    search = []
    if override is not None:
        search.append(str(override / platform))
    search.append(str(bundled_templates_dir() / platform))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        autoescape=platform == "telegram",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,
    )
    env.filters.update(filters)
    env.globals.update(globals_)
    return env
