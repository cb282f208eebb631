"""The console's words: every translatable string of the console's templates and Python
modules has a Vietnamese translation, every .po file parses, translations keep their
originals' ``%(name)s`` placeholders, no two .po files disagree, and no console template
marks text as safe HTML.

Strings are found the way Babel's ``pybabel extract`` finds them: Jinja2's own extractor
(``jinja2.ext.babel_extract``, with the i18n extension and options of
``bot.web.render``) for ``templates/console/*.j2``, Babel's Python extractor for
``bot/web``'s modules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from bot.web.i18n import translations

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "templates" / "console"
CODE = ROOT / "bot" / "web"
LOCALE = CODE / "locale" / "vi" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}
# As bot.web.render.make_templates sets the environment up.
JINJA = {
    "extensions": "jinja2.ext.i18n",
    "trim_blocks": "true",
    "lstrip_blocks": "true",
    "newstyle_gettext": "true",
}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
# The modules allowed to make Markup, each read for it: the drawings of messages as the apps
# show them (bot.web.shown and its two helpers: Telegram's HTML to a safe subset, Discord's
# markdown, every text escaped first) and the overview's SVG chart (numbers and escaped
# labels). Anything else hands templates plain text, which autoescaping escapes.
MARKUP_MAKERS = {"shown.py", "shown_text.py", "shown_discord.py", "chart.py"}

Message = str | tuple[str, ...]


def _found(path: Path, method: object, options: dict[str, str]) -> Iterator[tuple[str, Message]]:
    with path.open("rb") as handle:
        for line, message, _comments, _context in extract(
            method,  # type: ignore[arg-type]
            handle,
            keywords=KEYWORDS,
            options=options,  # type: ignore[arg-type]
        ):
            yield f"{path.relative_to(ROOT)}:{line}", message


def strings() -> list[tuple[str, Message]]:
    """(where, message) for every translatable string of the console."""
    found: list[tuple[str, Message]] = []
    for template in sorted(TEMPLATES.glob("*.j2")):
        found += _found(template, babel_extract, JINJA)
    for module in sorted(CODE.rglob("*.py")):
        found += _found(module, "python", {})
    return found


def catalogs() -> dict[str, Catalog]:
    """Every .po file of the console's Vietnamese, parsed (an invalid one raises)."""
    parsed = {}
    for po in sorted(LOCALE.glob("*.po")):
        with po.open("rb") as handle:
            parsed[po.name] = read_po(handle, locale="vi", abort_invalid=True)
    return parsed


def test_the_extractors_find_the_frames_strings() -> None:
    """The check below can fail: it sees the strings of a template and of a module."""
    messages = {message for _where, message in strings()}
    assert "Skip to content" in messages  # base.html.j2
    assert "Wrong name or password." in messages  # login.py
    assert "Audit log" in messages


def test_every_po_file_parses() -> None:
    parsed = catalogs()
    assert "frame.po" in parsed and "audit.po" in parsed
    for name, catalog in parsed.items():
        assert len(catalog) > 0, name


def test_every_string_has_a_vietnamese_translation() -> None:
    known = translations("vi")._catalog  # type: ignore[attr-defined]
    missing = []
    for where, message in strings():
        key: object = (message[0], 0) if isinstance(message, tuple) else message
        if not known.get(key):
            missing.append(f"{where}: {message!r}")
    assert not missing, "no Vietnamese for:\n" + "\n".join(sorted(set(missing)))


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def wrong_placeholders(parsed: dict[str, Catalog]) -> list[str]:
    """Translations whose ``%(name)s`` placeholders differ from their original's."""
    wrong = []
    for name, catalog in parsed.items():
        for message in catalog:
            if not message.id or not message.string:
                continue
            originals = message.id if isinstance(message.id, tuple) else (message.id,)
            shown = message.string if isinstance(message.string, tuple) else (message.string,)
            expected = set().union(*(_placeholders(o) for o in originals))
            for text in shown:
                if text and _placeholders(text) != expected:
                    wrong.append(f"{name}: {message.id!r} → {text!r}")
    return wrong


def clashes(parsed: dict[str, Catalog]) -> list[str]:
    """Strings two .po files translate differently (the merge would keep only one)."""
    seen: dict[object, tuple[str, object]] = {}
    found = []
    for name, catalog in parsed.items():
        for message in catalog:
            if not message.id or not message.string:
                continue
            if message.id in seen and seen[message.id][1] != message.string:
                other, string = seen[message.id]
                found.append(f"{message.id!r}: {other} {string!r} ≠ {name} {message.string!r}")
            seen.setdefault(message.id, (name, message.string))
    return found


def _catalog(*pairs: tuple[str, str]) -> Catalog:
    made = Catalog(locale="vi")
    for original, translated in pairs:
        made.add(original, translated)
    return made


def test_the_checks_catch_what_they_look_for() -> None:
    one = _catalog(("%(n)s feeds", "%(count)s nguồn tin"), ("Search", "Tìm"))
    two = _catalog(("Search", "Tìm kiếm"), ("Feeds", "Nguồn tin"))
    assert wrong_placeholders({"one.po": one}) == ["one.po: '%(n)s feeds' → '%(count)s nguồn tin'"]
    assert wrong_placeholders({"two.po": two}) == []
    assert len(clashes({"one.po": one, "two.po": two})) == 1
    assert clashes({"two.po": two, "again.po": two}) == []


def test_translations_keep_their_placeholders() -> None:
    wrong = wrong_placeholders(catalogs())
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_template_translations_format() -> None:
    """Jinja's newstyle gettext always applies ``%``: a lone "%" in a template's string or
    its translation would break the page."""
    known = translations("vi")
    broken = []
    for where, message in strings():
        if not where.startswith("templates") or isinstance(message, tuple):
            continue
        for text in (message, known.gettext(message)):
            try:
                text % dict.fromkeys(_placeholders(message), "x")
            except (KeyError, ValueError, TypeError) as exc:
                broken.append(f"{where}: {text!r} ({exc})")
    assert not broken, "\n".join(broken)


def test_no_two_files_disagree() -> None:
    found = clashes(catalogs())
    assert not found, "translated differently:\n" + "\n".join(found)


def test_no_fstrings_in_translated_calls() -> None:
    """An f-string inside ``_()`` is never found in the catalog (the extractor skips it)."""
    wrong = [
        f"{module.relative_to(ROOT)}"
        for module in sorted(CODE.rglob("*.py"))
        if re.search(r"\b(_|gettext|ngettext)\(\s*f[\"']", module.read_text())
    ]
    assert not wrong


@pytest.mark.parametrize("template", sorted(TEMPLATES.glob("*.j2")), ids=lambda p: p.name)
def test_templates_never_mark_text_safe(template: Path) -> None:
    text = template.read_text()
    assert not re.search(r"\|\s*safe\b", text), "|safe in a console template"
    assert "Markup(" not in text
    assert not re.search(r"autoescape\s+false", text, re.IGNORECASE)


def test_only_the_drawings_make_markup() -> None:
    """Markup is made only where it was read for (the drawings and the chart), never
    around article or user text elsewhere."""
    makers = [
        str(module.relative_to(ROOT))
        for module in sorted(CODE.rglob("*.py"))
        if module.name not in MARKUP_MAKERS and re.search(r"\bMarkup\(", module.read_text())
    ]
    assert makers == []
