"""The root of digestbot's exceptions, and the kinds the edges map to answers.

Every exception digestbot defines derives from :class:`DigestbotError` (a test walks
``bot/`` and ``digests/`` to keep it so). Those whose message is written for the person
who caused them derive from :class:`UserFacingError`: the command line prints the message
as one line and exits 2; the admin API answers with it as JSON. The kinds below it say
which answer fits — the API's status table (``bot.api.errors``) maps them, so a new error
class chooses its status by choosing its base, never by a new ``except`` in a handler.

``ValueError`` or ``LookupError`` is mixed in only where callers rely on it, as in
lemon24/reader's ``InvalidFeedURLError(FeedError, ValueError)``.

A leaf module: it imports nothing from digestbot, so any module may import it.
"""

from __future__ import annotations


class DigestbotError(Exception):
    """Something digestbot itself raises; the root of the family."""


class UserFacingError(DigestbotError):
    """The message is meant for the user: one line, saying what to fix. An error of this
    kind that is none of the kinds below (a broken template, a database newer than the
    code) is the operator's to fix: the CLI shows it, the API answers 500 and logs it."""


class InputError(UserFacingError):
    """What was given (an argument, a file, a request body, a setting) is not acceptable.
    CLI: exit 2. API: 422, or 400 for a body that is not JSON we accept."""


class NotFoundError(UserFacingError):
    """A named thing (category, article, push) does not exist. API: 404."""


class ConflictError(UserFacingError):
    """The request clashes with the current state (a push already running). API: 409."""


class UnavailableError(UserFacingError):
    """digestbot cannot take the request now (the database is lost). API: 503."""
