"""A pool's stories as readers of one language see them: each with its ready model summary
(a ``Gloss``), the others unchanged. Pure; the dispatcher calls it once per language and
tick, so a story appears as one object in every digest of that language (the renderer
caches a story's rendering by object).
"""

from __future__ import annotations

from collections.abc import Mapping

from digests.assemble import Pool
from digests.models import Gloss


def gloss_pool(pool: Pool, language: str, glosses: Mapping[tuple[int, str], Gloss]) -> Pool:
    """``pool`` with each story that has a gloss in ``language`` replaced by a copy
    carrying it (the same Pool when none has one)."""
    return pool  # stub: the helper "render" implements it
