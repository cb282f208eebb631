"""The newsroom's web console: server-rendered pages at ``/console`` in the admin API's
aiohttp application (feed health, stories, digest previews, breaking pushes with live
progress, the audit log), for editors and admins signed in with a console account.

It is an adapter like the bots: its handlers call the same core functions as the CLI and
the chat commands, and its pages are Jinja2 templates in ``templates/console/``.
"""

from bot.web.app import console_app

__all__ = ["console_app"]
