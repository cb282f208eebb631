"""Benchmark: ``digestbot feeds import`` of the largest OPML file accepted and of hostile ones.

Usage: python -m bench.opml_import [--folders 20]

The largest accepted file holds MAX_OUTLINES outlines (folders included) padded close to
MAX_OPML_BYTES; the hostile ones are a 100 MB file (sparse on disk), 100,000 outlines,
outlines nested 10,000 deep, a billion-laughs entity bomb, invalid UTF-8, not XML, nesting
hidden in values (``text="<"``) and 8 MB of ``</``.
Each runs through the real command, in process, on a fresh database: once for its time,
once more under tracemalloc for its peak Python memory. Targets: the largest file in
under 5 s with a peak under 64 MiB; every hostile file refused in under 1 s with a peak
under 16 MiB (the 100 MB one without being read).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from bench.common import add_categories, options, scratch
from bot.cli import main as digestbot
from digests.opml import MAX_OPML_BYTES, MAX_OUTLINES
from digests.store import Store

MIB = 1024 * 1024


def largest(folders: int) -> bytes:
    """MAX_OUTLINES outlines in ``folders`` folders (one named after a category), each feed
    padded with a description so that the file ends just under MAX_OPML_BYTES."""
    per_folder = (MAX_OUTLINES - folders) // folders
    pad = (MAX_OPML_BYTES - 4096) // (per_folder * folders) - 130
    parts = [b'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0"><head>'
             b"<title>bench</title></head><body>\n"]  # fmt: skip
    for folder in range(folders):
        name = "news" if folder == 0 else f"Folder {folder}"
        parts.append(f'<outline text="{name}" title="{name}">\n'.encode())
        for i in range(per_folder):
            n = folder * per_folder + i
            parts.append(
                f'<outline type="rss" text="Feed {n}" title="Feed {n}" '
                f'xmlUrl="https://feed{n}.example/rss" description="{"d" * pad}"/>\n'.encode()
            )
        parts.append(b"</outline>\n")
    parts.append(b"</body></opml>\n")
    data = b"".join(parts)
    assert len(data) <= MAX_OPML_BYTES, len(data)
    return data


def hostile() -> dict[str, Callable[[Path], None]]:
    def write(data: bytes) -> Callable[[Path], None]:
        return lambda path: path.write_bytes(data)

    def sparse(path: Path) -> None:
        with path.open("wb") as stream:
            stream.truncate(100 * MIB)

    feed = '<outline text="f" xmlUrl="https://f{}.example/rss"/>'
    bomb = b'<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">' + b"".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(9)
    )
    return {
        "100 MB": sparse,
        "100,000 outlines": write(
            (
                '<opml version="2.0"><body>' + "".join(feed.format(i) for i in range(100_000))
            ).encode()
        ),
        "nesting 10,000": write(b"<opml><body>" + b'<outline text="x">' * 10_000),
        "billion laughs": write(bomb + b']><opml><body><outline text="&j;"/></body></opml>'),
        "invalid UTF-8": write(b'<opml><body><outline text="\xff\xfe"/></body></opml>'),
        "not XML": write(bytes(range(256)) * 1000),
        # What the HTML tokenizer under listparser reads differently from XML: nesting a
        # byte scan cannot see, and input it is quadratic on (hours for 8 MB).
        "hidden nesting": write(
            b"<opml><body>" + b'<outline text="<">' * 200_000 + feed.format(0).encode() * 2000
        ),
        "end tags 8 MB": write(b"<opml><body>" + b"</" * (MAX_OPML_BYTES // 2 - 8)),
    }


async def fresh_database(folder: Path) -> Path:
    env = folder / "bench.env"
    env.write_text(f"DATABASE_URL=sqlite:///{folder / 'bench.db'}\nFEEDS_FILE={folder}/none\n")
    store = await Store.open(folder / "bench.db")
    await add_categories(store, ["news"])
    await store.close()
    return env


def import_once(root: Path, name: str, path: Path, *, traced: bool) -> tuple[int, float, int, str]:
    """(exit status, seconds, peak bytes or 0, the command's last line) of one import."""
    folder = root / f"{name.replace(' ', '-').replace(',', '')}-{'traced' if traced else 'timed'}"
    folder.mkdir()
    env = asyncio.run(fresh_database(folder))
    out, err = io.StringIO(), io.StringIO()
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    with contextlib.redirect_stderr(err):
        argv = ["--env-file", str(env), "feeds", "import", str(path), "--category", "news"]
        code = digestbot(argv, out=out)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    if traced:
        tracemalloc.stop()
    said = (err.getvalue() or out.getvalue()).strip().splitlines()
    return code, elapsed, peak, said[-1] if said else ""


def main() -> None:
    args = options(__doc__, folders=20)
    root = scratch("opml")
    files: dict[str, Path] = {}
    files["largest accepted"] = root / "largest.opml"
    files["largest accepted"].write_bytes(largest(args.folders))
    for name, make in hostile().items():
        files[name] = root / f"{name.replace(' ', '-').replace(',', '')}.opml"
        make(files[name])
    print(f"caps: {MAX_OPML_BYTES:,} bytes, {MAX_OUTLINES:,} outlines")
    print(f"{'file':<18} {'size':>13} {'exit':>4} {'time':>8} {'peak':>10}  result")
    for name, path in files.items():
        code, elapsed, _, said = import_once(root, name, path, traced=False)
        _, _, peak, _ = import_once(root, name, path, traced=True)
        print(
            f"{name:<18} {path.stat().st_size:>13,} {code:>4} {elapsed:>7.2f}s "
            f"{peak / MIB:>7.1f} MiB  {said[:90]}"
        )


if __name__ == "__main__":
    main()
