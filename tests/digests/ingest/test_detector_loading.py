"""The language identifier (about a second of CPU to load) is loaded only by a process
that meets an entry whose language no feed or item declares. Run in a fresh interpreter:
the test process may have loaded it already."""

from __future__ import annotations

import subprocess
import sys

import pytest

DECLARED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<language>en-us</language><link>https://example.org/</link>
<item><title>A declared item about the weather</title><link>https://example.org/a</link></item>
</channel></rss>"""
UNDECLARED = DECLARED.replace(b"<language>en-us</language>", b"")

_PROBE = """
import sys
from digests.ingest.pipeline import _parse
from digests.language import detector_loaded
_parse(sys.stdin.buffer.read(), content_type="application/rss+xml", url="https://example.org/")
print(detector_loaded())
"""


@pytest.mark.parametrize(("feed", "loaded"), [(DECLARED, "False"), (UNDECLARED, "True")])
def test_the_identifier_loads_only_when_a_language_is_undeclared(feed: bytes, loaded: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], input=feed, capture_output=True, check=True, timeout=60
    )
    assert done.stdout.decode().strip() == loaded
