"""The admin HTTP API for newsrooms (aiohttp), served by ``digestbot run`` when API_TOKEN
is set: a CMS webhook for articles, breaking pushes, stats, health and Prometheus metrics.

Every /api route but the OpenAPI document needs ``Authorization: Bearer <API_TOKEN>``
(compared in constant time). Bodies over 1 MB get 413; every error is JSON
``{"error": "..."}`` with 400/401/404/409/413/422 as fits, and 503 for writes while the
database is lost (deleted or replaced under the process, or not answering; /healthz says
so too). Refused attempts are audited at most once a minute per client address, with a
count. The ``Server`` header names no versions.

- :mod:`bot.api.app` — ``Api``: the application, its routes, authentication, refusing
  writes while the database is lost;
- :mod:`bot.api.errors` — errors to status codes and JSON bodies, in one place;
- :mod:`bot.api.refusals` — which refused attempts get an audit row;
- :mod:`bot.api.deps` — what the route handlers reach through the request;
- :mod:`bot.api.body` — reading a JSON request body within the size limit;
- :mod:`bot.api.articles`, :mod:`bot.api.breaking`, :mod:`bot.api.health` — the routes;
- :mod:`bot.api.openapi` — the OpenAPI document.
"""

from bot.api.app import Api
from bot.api.refusals import RefusalLog

__all__ = ["Api", "RefusalLog"]
