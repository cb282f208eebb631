"""Errors to exit statuses, in one place.

An error meant for the user (``digests.errors.UserFacingError``: a bad argument, an
unknown category, a bad setting, a broken template) is one line on stderr and status 2;
Ctrl-C is 130; a closed pipe (``digestbot demo | head``) ends quietly with 0; anything
else is a bug, shown with its traceback (redacted like all output) and status 1.
"""

from __future__ import annotations

import os
import sys
import traceback

from digests.errors import UserFacingError

EXIT_OK = 0
EXIT_BUG = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

# The first row whose class the error is an instance of decides; anything else is a bug.
EXIT_STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (UserFacingError, EXIT_USAGE),
    (KeyboardInterrupt, EXIT_INTERRUPTED),
    (BrokenPipeError, EXIT_OK),
)


def exit_status(error: BaseException) -> int:
    """The exit status for ``error`` (pure: the table above, else EXIT_BUG)."""
    for kind, status in EXIT_STATUS:
        if isinstance(error, kind):
            return status
    return EXIT_BUG


def fail(error: BaseException) -> int:
    """Tell the user about ``error`` on stderr as its kind asks; returns the exit status.
    Call it from an ``except`` block (a bug's traceback is the one being handled)."""
    status = exit_status(error)
    if isinstance(error, UserFacingError):
        print(f"digestbot: error: {error}", file=sys.stderr)
    elif isinstance(error, KeyboardInterrupt):
        print("digestbot: interrupted", file=sys.stderr)
    elif isinstance(error, BrokenPipeError):
        # The reader stopped reading: keep Python from complaining again while it
        # flushes stdout on exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    else:
        traceback.print_exc()
    return status
