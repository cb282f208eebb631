"""The feeds page's add form read from a posted body that may hold anything (a field
missing, sent twice, as a file, thousands of characters, lone surrogates), and each
refusal of a new feed as one line in the account's language."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.web.i18n import _
from digests import feed_checks
from digests.feed_checks import FeedRefused
from digests.timeutil import short
from digests.urls import MAX_URL_CHARS

# The origin a feed added in the console is stored with (the schema knows 'file', 'cli',
# 'import' and 'api'; the console is part of the admin API's application).
FORM_ORIGIN = "api"
# A form offers each live category once; more values than this are not from our form.
MAX_CATEGORIES = 200
# What of a field is echoed back into a refused form: enough to correct, never a page of it.
ECHO_CHARS = MAX_URL_CHARS + 100
# The reason of a form that is not ours (a file where text belongs, a field hundreds of times).
MALFORMED = "form"


@dataclass(frozen=True)
class AddForm:
    """The add form as sent: ``url``, ``name`` and ``interval`` as text (the name and
    interval stripped, empty when left out) and the ticked ``categories``; ``problem`` is
    MALFORMED when the body cannot be this form."""

    url: str = ""
    name: str = ""
    interval: str = ""
    categories: tuple[str, ...] = ()
    problem: str | None = None

    def echo(self, value: str) -> str:
        """A field's text to put back in the form: cut, and without lone surrogates (a
        page holding one could not be encoded)."""
        return value[:ECHO_CHARS].encode("utf-8", "replace").decode("utf-8")


def _text(values: Sequence[Any]) -> str | None:
    """The one text value of a field (empty when missing); None when it is a file or sent
    more than once."""
    if not values:
        return ""
    if len(values) > 1 or not isinstance(values[0], str):
        return None
    return values[0]


def read_add_form(form: Any) -> AddForm:
    """The add form from ``await request.post()`` (pure)."""
    url, name, interval = (_text(form.getall(key, [])) for key in ("url", "name", "interval"))
    ticked = form.getall("category", [])
    if url is None or name is None or interval is None or len(ticked) > MAX_CATEGORIES:
        return AddForm(problem=MALFORMED)
    if not all(isinstance(slug, str) for slug in ticked):
        return AddForm(url=url, problem=MALFORMED)
    return AddForm(url, name.strip(), interval.strip(), tuple(ticked))


def refusal_text(exc: FeedRefused, entered: AddForm, known: Sequence[str]) -> str:
    """The refused feed's one line in the page's language."""
    reason = exc.reason
    if reason == feed_checks.CREDENTIALS:
        return _("A feed address may not hold a user name or password.")
    if reason == feed_checks.URL:
        return _(
            "That is not a feed address: give an http:// or https:// URL "
            "of at most %(n)s characters, without spaces.",
            n=MAX_URL_CHARS,
        )
    if reason == feed_checks.LINK_LOCAL:
        return _(
            "That address is link-local (such as a cloud's metadata service): no feed lives there."
        )
    if reason == feed_checks.NAME:
        return _("The name may have at most 300 characters, and no control or bidi characters.")
    if reason == feed_checks.INTERVAL:
        return _("The interval is a duration such as 15m, 1h or 1h30m: at least 1m, at most 3650d.")
    if reason == feed_checks.NO_CATEGORY:
        return _("Choose at least one category.")
    if reason == feed_checks.UNKNOWN_CATEGORY:
        unknown = [short(slug) for slug in entered.categories if slug not in set(known)]
        return _("There is no such category: %(slugs)s.", slugs=", ".join(unknown[:5]))
    return _("This form was not sent as the page makes it. Reload the page and try again.")
