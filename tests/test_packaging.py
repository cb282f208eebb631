"""What the published packages carry: the licence, one version, no operator files."""

from __future__ import annotations

import shutil
import tarfile
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import digests

ROOT = Path(__file__).parents[1]
SHIPPED = ("pyproject.toml", "README.md", "LICENSE", "digests", "bot", "templates")


def _project_copy(tmp_path: Path) -> Path:
    """The project's shipped parts plus an operator's own files, outside any git checkout."""
    root = tmp_path / "project"
    root.mkdir()
    for name in SHIPPED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, root / name)
    (root / "feeds.toml").write_text('[categories.secret]\nname = "Operator only"\n')
    (root / ".env").write_text("TELEGRAM_BOT_TOKEN=123456:AAAA\n")
    return root


def test_sdist_leaves_out_the_operators_files(tmp_path: Path) -> None:
    from hatchling.builders.sdist import SdistBuilder

    root = _project_copy(tmp_path)
    (sdist,) = SdistBuilder(str(root)).build(directory=str(tmp_path), versions=["standard"])
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert "LICENSE" in names and "digests/safejson.py" in names
    assert "feeds.toml" not in names
    assert ".env" not in names
    assert "bot/demo_data/feeds.toml" in names  # the demo's own sample stays


def test_wheel_metadata_has_licence_and_the_one_version(tmp_path: Path) -> None:
    from hatchling.builders.wheel import WheelBuilder

    root = _project_copy(tmp_path)
    (wheel,) = WheelBuilder(str(root)).build(directory=str(tmp_path), versions=["standard"])
    with zipfile.ZipFile(wheel) as archive:
        (meta_name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        meta = Parser().parsestr(archive.read(meta_name).decode())
        assert any(n.endswith(".dist-info/licenses/LICENSE") for n in archive.namelist())
    assert meta["Version"] == digests.__version__
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("Project-URL")
    assert any(
        c.startswith("Programming Language :: Python :: 3.11") for c in meta.get_all("Classifier")
    )


def test_version_is_declared_once() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and project["dynamic"] == ["version"]


def test_lint_tool_is_pinned() -> None:
    test_extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["test"]
    (ruff,) = [r for r in test_extra if r.startswith("ruff")]
    assert ruff.startswith("ruff==")
