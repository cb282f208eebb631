"""``links``, ``links add|remove|list``: the subscribe links a newsroom puts on its pages,
with a QR code per link (segno, PNG and SVG) for print and slides, and the codes that
name several categories and the page that carries them (``--source``)."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

import segno

from bot.cli.feeds import parse_categories, require_categories
from bot.cli.progress import progress_bar
from bot.links import Links, build_links, code_target, link_targets, missing_settings
from bot.wiring import App
from digests.errors import InputError
from digests.links import check_source, payload_kind
from digests.terminal import printable, unsafe_char
from digests.timeutil import short

# What a QR code's file name may be made of: slugs are [a-z0-9-], codes [A-Za-z0-9]; the
# underscore, in neither, separates the parts so no two targets can share a name.
SAFE_STEM = re.compile(r"[A-Za-z0-9-]{1,64}")
# Pixels per module, and the quiet zone in modules that scanners need around the code.
QR_SCALE = 10
QR_BORDER = 4
LABEL_WIDTH = 16


def qr_stem(kind: str, payload: str, platform: str) -> str:
    """The file name (without extension) of one link's QR code; ValueError for a payload
    that could not be a file name (pure). The Discord install link is the same for every
    target, so it has one file."""
    if platform == "discord":
        return "discord_install"
    if not SAFE_STEM.fullmatch(payload):
        raise ValueError(f"no safe file name for {short(payload)}")
    return f"code_{payload}_{platform}" if kind == "code" else f"{payload}_{platform}"


def qr_folder(raw: str) -> Path:
    """``--qr-dir`` as a folder that exists; InputError (one line) when it cannot."""
    bad = unsafe_char(raw)
    if bad is not None:
        raise InputError(f"--qr-dir contains a control or bidi character ({bad})")
    if not raw.strip():  # Path("") is the current folder: never write there unasked
        raise InputError("--qr-dir needs a folder name")
    folder = Path(raw)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError(f"cannot create the QR folder {short(raw, 80)}: not a folder") from None
    # No permission or a file on the way (OSError), an encoding the file system refuses
    # (UnicodeError), a NUL byte (ValueError).
    except (OSError, UnicodeError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise InputError(f"cannot create the QR folder {short(raw, 80)}: {reason}") from None
    return folder


def replace_file(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` through a new file in the same folder renamed over it,
    so that a full disk or any other failure leaves the old file or none, never half of
    one, and a symlink planted at that name is replaced, not written through. True when
    something was there before. The file's mode follows the umask, as ``open`` does."""
    existed = path.is_symlink() or path.exists()
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return existed


def _render(code: segno.QRCode, kind: str) -> bytes:
    buffer = io.BytesIO()
    code.save(buffer, kind=kind, scale=QR_SCALE, border=QR_BORDER)
    return buffer.getvalue()


def write_qr(url: str, folder: Path, stem: str) -> tuple[Path, int]:
    """Write ``stem``.png and ``stem``.svg for ``url``, each whole or not at all; returns
    the PNG's path and how many of the two replaced a file already there."""
    # A regular QR code, never a Micro QR: phone cameras do not read those.
    code = segno.make_qr(url)
    png = folder / f"{stem}.png"
    try:
        replaced = replace_file(png, _render(code, "png"))
        replaced += replace_file(folder / f"{stem}.svg", _render(code, "svg"))
    except (OSError, UnicodeError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise InputError(f"cannot write QR codes to {short(str(folder), 80)}: {reason}") from None
    return png, replaced


def write_qr_codes(
    links: Sequence[Links], folder: Path, progress: Callable[[], object] = lambda: None
) -> tuple[dict[str, list[Path]], int]:
    """One QR code per link (PNG and SVG): the PNGs written for each target payload, and
    how many files replaced ones already there."""
    written: dict[str, list[Path]] = {}
    done: dict[str, Path] = {}  # stem → PNG, for the Discord link every target shares
    replaced = 0
    for item in links:
        target = item.target
        paths = written.setdefault(target.payload, [])
        for platform, url in item.urls():
            try:
                stem = qr_stem(target.kind, target.payload, platform)
            except ValueError:
                continue
            if stem not in done:
                done[stem], count = write_qr(url, folder, stem)
                replaced += count
            paths.append(done[stem])
        progress()
    return written, replaced


def _line(out: TextIO, label: str, value: str) -> None:
    out.write(f"  {label:<{LABEL_WIDTH}}{printable(value)}\n")


def print_links(out: TextIO, item: Links, qr: Sequence[Path] = ()) -> None:
    """One target's block: its heading, then one labelled line per link."""
    target = item.target
    if target.kind == "category":
        out.write(f"{printable(target.payload)}  {printable(target.title)}\n")
    else:
        source = f"  (source {target.source})" if target.source else ""
        out.write(f"code {target.payload}{source}  {printable(target.title)}\n")
    if item.telegram and item.telegram_group:
        _line(out, "telegram", item.telegram)
        _line(out, "telegram group", item.telegram_group)
    if item.discord_install:
        _line(out, "discord install", item.discord_install)
    _line(out, "discord command", item.discord_command)
    if item.html:
        _line(out, "html", item.html)
    if qr:
        _line(out, "qr codes", ", ".join(f"{p.with_suffix('')}.{{png,svg}}" for p in qr))


async def cmd_links(args: argparse.Namespace, app: App, out: TextIO) -> int:
    only = args.only
    if only is not None and payload_kind(only) == "invalid":
        raise InputError(f"not a category slug or link code: {short(only)}")
    targets = await link_targets(app.store, only)
    if only is not None and not targets:
        raise InputError(f"no live category or link code {short(only)}")
    links = [build_links(t, app.identity) for t in targets]
    qr: dict[str, list[Path]] = {}
    if args.qr_dir is not None:
        folder = qr_folder(args.qr_dir)
        with progress_bar(len(links), "link", "QR codes") as bar:
            qr, replaced = write_qr_codes(links, folder, progress=lambda: bar.update(1))
        if replaced:
            files = "file" if replaced == 1 else "files"
            out.write(
                f"note: replaced {replaced} QR code {files} already in {printable(str(folder))}\n"
            )
    for line in missing_settings(app.identity):
        out.write(f"note: {line}\n")
    if not links:
        out.write("no categories yet; add some with 'digestbot feeds sync'\n")
    for index, item in enumerate(links):
        if index:
            out.write("\n")
        print_links(out, item, qr.get(item.target.payload, ()))
    return 0


async def cmd_links_add(args: argparse.Namespace, app: App, out: TextIO) -> int:
    slugs = parse_categories(args.categories, "--categories")
    try:
        source = check_source(args.source) if args.source else ""
    except ValueError as exc:
        raise InputError(f"--source {short(args.source)}: {exc}") from None
    await require_categories(app, slugs)
    link = await app.store.add_link(slugs, source=source, now=app.clock.now())
    names = {c.slug: c.name for c in await app.store.list_categories()}
    out.write(f"added link code {link.code}\n\n")
    for line in missing_settings(app.identity):
        out.write(f"note: {line}\n")
    print_links(out, build_links(code_target(link, names), app.identity))
    return 0


def check_code(raw: str) -> str:
    """A code as ``links remove`` takes it; InputError saying what it is instead."""
    kind = payload_kind(raw)
    if kind == "slug":
        raise InputError(
            f"{short(raw)} is not a link code; a category's link lasts as long as the "
            "category (see 'digestbot links list' for the codes)"
        )
    if kind == "invalid":
        raise InputError(
            f"not a link code: {short(raw)} (see 'digestbot links list' for the codes)"
        )
    return raw


async def cmd_links_remove(args: argparse.Namespace, app: App, out: TextIO) -> int:
    code = check_code(args.code)
    before = await app.store.get_link(code)
    if before is not None and before.retired_at is not None:
        out.write(f"link code {code} was already retired on {before.retired_at.isoformat()}\n")
        return 0
    link = await app.store.retire_link(code, now=app.clock.now())  # NotFound: no such code
    out.write(
        f"retired link code {code} ({', '.join(link.categories)}); a reader who taps it "
        "now gets a friendly reply, and nothing changes\n"
    )
    return 0


async def cmd_links_list(args: argparse.Namespace, app: App, out: TextIO) -> int:
    links = await app.store.list_links(retired=args.retired)
    if not links:
        out.write("no link codes yet; make one with 'digestbot links add --categories ...'\n")
        return 0
    signups: dict[str, int] = {}
    for count in await app.store.signup_counts():
        signups[count.link] = signups.get(count.link, 0) + count.count
    out.write(f"{'code':<9}{'source':<16}{'sign-ups':>8}  {'made':<11}categories\n")
    for link in links:
        state = f" (retired {link.retired_at.date().isoformat()})" if link.retired_at else ""
        out.write(
            f"{link.code:<9}{printable(link.source) or '-':<16}{signups.get(link.code, 0):>8}  "
            f"{link.created_at.date().isoformat():<11}{', '.join(link.categories)}{state}\n"
        )
    return 0
