"""The ``digestbot`` command line.

Each sub-command is a small async function taking the parsed arguments, an App and the
output stream; it lives in the module of its group. User mistakes (unknown category,
unreadable file, bad URL, bad setting) end in one line on stderr and exit status 2, never
a traceback: :mod:`bot.cli.errors` maps every error to an exit status in one place.

- :mod:`bot.cli.entry` — ``main``: settings, redaction, the command table;
- :mod:`bot.cli.parser` — the argument parser;
- :mod:`bot.cli.errors` — errors to exit statuses and one-line messages;
- :mod:`bot.cli.feeds` — ``init``, ``feeds sync|list|add|remove``, ``categories list``;
- :mod:`bot.cli.content` — ``ingest``, ``import``, ``preview``;
- :mod:`bot.cli.breaking` — ``breaking`` (start, status, cancel);
- :mod:`bot.cli.overview` — ``stats``, ``audit``;
- :mod:`bot.cli.summaries` — ``summarize`` (one story through the model, step by step);
- :mod:`bot.cli.db` — ``db copy`` (from one database to another, either engine).
"""

from bot.cli.entry import main
from bot.cli.parser import build_parser

__all__ = ["build_parser", "main"]
