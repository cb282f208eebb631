"""Reading the breaking page's form (pure): which category, and which article (a stored one
by the list or by id, or a new URL with a title and summary). Every field may be missing,
sent twice, a file, huge, or hold lone surrogates, control or bidi characters: ``read``
returns the checked request or raises InputError with one translated line, so nothing odd
reaches the core, the store or a page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.web.i18n import _
from digests.errors import InputError
from digests.ingest.normalise import CONTROL_CHARS, TITLE_MAX

MAX_ID = 2**63 - 1  # SQLite's largest integer
LIMITS = {
    "category": 64,
    "article": 19,
    "article_id": 19,
    "url": 2000,
    "title": TITLE_MAX,
    "summary": 2000,
    "cross_category": 10,
    "push_token": 64,
}
FIELDS = tuple(LIMITS)
# Control and invisible format characters (bidi overrides, zero-width spaces...): none has
# a place in what an editor types; a summary may still have line breaks and tabs.
_UNSAFE = re.compile(f"[{CONTROL_CHARS}]")
_UNSAFE_LINE = re.compile(f"[{CONTROL_CHARS}\t\n\r]")


@dataclass(frozen=True)
class Asked:
    """A breaking push as the form asks for it, checked."""

    category: str
    article_id: int | None
    url: str | None
    title: str | None
    summary: str | None
    cross_category: bool
    token: str

    def fields(self) -> dict[str, str]:
        """The form's fields to post again (the preview's Confirm form carries them)."""
        return {
            "category": self.category,
            "article_id": "" if self.article_id is None else str(self.article_id),
            "url": self.url or "",
            "title": self.title or "",
            "summary": self.summary or "",
        }


def _label(name: str) -> str:
    labels = {
        "category": _("Category"),
        "article": _("Article"),
        "article_id": _("Id"),
        "url": _("URL"),
        "title": _("Title"),
        "summary": _("Summary"),
    }
    return labels.get(name, name)


def field(form: Any, name: str) -> str:
    """The one text value of ``name``, stripped ("" when missing); raises InputError."""
    values = form.getall(name, [])
    if not values:
        return ""
    label = _label(name)
    if len(values) > 1 or not isinstance(values[0], str):
        raise InputError(_("%(field)s: send one line of text.", field=label))
    value = values[0]
    if len(value) > LIMITS[name]:
        raise InputError(
            _("%(field)s is too long (at most %(n)s characters).", field=label, n=LIMITS[name])
        )
    if any(0xD800 <= ord(char) <= 0xDFFF for char in value):
        raise InputError(_("%(field)s holds characters that are not valid text.", field=label))
    unsafe = _UNSAFE if name == "summary" else _UNSAFE_LINE
    if unsafe.search(value.strip()):
        raise InputError(_("%(field)s holds a control or text-direction character.", field=label))
    return value.strip()


def article_id(text: str) -> int | None:
    """An article id typed or chosen: ASCII digits from 1 to SQLite's largest integer."""
    if not text:
        return None
    # ASCII only: "²" is a digit to isdigit but not to int.
    if text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_ID:
        return int(text)
    raise InputError(_("An article id is a whole number from 1 up."))


def _chosen(form: Any) -> int | None:
    listed, typed = article_id(field(form, "article")), article_id(field(form, "article_id"))
    if listed is not None and typed is not None and listed != typed:
        raise InputError(_("Choose one article: from the list or by its id, not both."))
    return typed if typed is not None else listed


def read(form: Any) -> Asked:
    """The checked request of a breaking form; raises InputError saying what is wrong."""
    values = {name: field(form, name) for name in FIELDS if name not in ("article", "article_id")}
    if not values["category"]:
        raise InputError(_("Choose a category."))
    chosen, url = _chosen(form), values["url"]
    if chosen is not None and url:
        raise InputError(_("Choose a stored article or give a new URL, not both."))
    if chosen is None and not url:
        raise InputError(_("Choose an article, or give a new article's URL and title."))
    if url and not re.match(r"https?://[^\s/]", url, re.IGNORECASE):
        raise InputError(_("A URL starts with http:// or https://."))
    return Asked(
        category=values["category"],
        article_id=chosen,
        url=url or None,
        title=values["title"] or None,
        summary=values["summary"] or None,
        cross_category=values["cross_category"] == "yes",
        token=values["push_token"],
    )


def refill(form: Any) -> dict[str, str]:
    """The form's fields to show again after a refusal: each one that can be shown safely
    (text within its limit, no broken characters), the others empty."""
    shown = {}
    for name in FIELDS:
        try:
            shown[name] = field(form, name)
        except InputError:
            shown[name] = ""
    return shown
