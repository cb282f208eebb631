"""Reading console form fields safely. Every field may be missing, sent twice, a file,
huge, or hold lone surrogates, control or bidi characters: ``field`` gives one string or
raises InputError (a 422 page with one line), never lets the oddity reach the store."""

from __future__ import annotations

from multidict import MultiDictProxy

from bot.web.i18n import _
from digests.errors import InputError

# A field longer than this is no honest input to any console form.
MAX_FIELD = 4000

Form = MultiDictProxy[object]


def field(form: Form, name: str, *, limit: int = MAX_FIELD) -> str | None:
    """The one text value of ``name`` (None when it is missing)."""
    values = form.getall(name, [])
    if len(values) > 1:
        raise InputError(_("The field “%(name)s” was sent more than once.", name=name))
    if not values:
        return None
    value = values[0]
    if not isinstance(value, str):
        raise InputError(_("The field “%(name)s” must be text, not a file.", name=name))
    if len(value) > limit:
        raise InputError(
            _("The field “%(name)s” is too long (at most %(n)s characters).", name=name, n=limit)
        )
    return value
