"""A bad API_BIND is the only output of ``digestbot run`` (red-team finding 11): the
"digestbot running" line came first, then the error."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.bot.test_run_startup import API_TOKEN, one_error_line, run_briefly


@pytest.mark.parametrize("bind", ["in-use", "127.0.0.1:99999", "a" * 64 + ".example:8080"])
def test_a_bad_api_bind_prints_only_the_error(tmp_path: Path, bind: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        if bind == "in-use":
            bind = f"127.0.0.1:{taken.getsockname()[1]}"
        code, out, err = run_briefly(tmp_path, {"API_TOKEN": API_TOKEN, "API_BIND": bind})
    assert "API_BIND" in one_error_line(code, err)
    assert out == ""
