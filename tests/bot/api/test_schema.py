"""schemathesis against the OpenAPI document the running API serves: generated requests
must never produce a server error or an undocumented status, type or shape."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

TOKEN = "schema-test-token-0123456789"


@pytest.fixture(scope="module")
def api_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("api")
    (folder / "feeds.toml").write_text(
        '[categories.climate]\nname = "Climate"\n'
        '[[feeds]]\nurl = "http://127.0.0.1:9/feed"\ncategory = "climate"\n'
    )
    exe = shutil.which("digestbot", path=str(Path(sys.executable).parent))
    assert exe
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'api.db'}",
        "FEEDS_FILE": str(folder / "feeds.toml"),
        "API_TOKEN": TOKEN,
        "API_BIND": f"127.0.0.1:{port}",
    }
    subprocess.run([exe, "init"], cwd=folder, env=env, check=True, capture_output=True)
    process = subprocess.Popen(
        [exe, "run"], cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # up to 30 s: the start shares two cores with the suite
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        _, err = process.communicate(timeout=20)
        assert process.returncode == 0, err.decode()[-2000:]
        assert TOKEN not in err.decode()


@pytest.fixture(scope="module")
def api_schema(api_base: str):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_url(f"{api_base}/api/openapi.json")


def test_api_conforms_to_its_document(api_schema) -> None:  # type: ignore[no-untyped-def]
    # schemathesis' own pytest plugin does not work with this pytest; its strategies do.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    # The document lists itself too, but schemathesis leaves out the path it loaded from.
    assert {operation.label for operation in operations} == {
        "GET /healthz",
        "GET /metrics",
        "POST /api/articles",
        "POST /api/breaking",
        "GET /api/breaking/{id}",
        "GET /api/stats",
        "GET /api/links",
    }
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def check(case) -> None:  # type: ignore[no-untyped-def]
            # Schema-valid data may still be refused with 422 for what a schema cannot say
            # (an unknown category, an article that does not exist): that check is off.
            case.call_and_validate(
                headers={"Authorization": f"Bearer {TOKEN}"},
                excluded_checks=[positive_data_acceptance],
            )

        check()
