"""The text of an OPML file, made safe for listparser: decoded (UTF-8, or what its byte
order mark or XML declaration names: some tools write ISO-8859-1 or windows-1252), the
usual slips of hand-built exports repaired (a bare "&", HTML's &nbsp;), then read by expat,
which counts the caps on what XML actually nests and writes the elements back out as
plain, escaped markup.

Why not hand the file to listparser as it is: listparser parses with the standard
library's HTML tokenizer (lxml is not installed), whose idea of a tag differs from XML's
(``text="<"`` and ``text=a/>`` hid thousands of levels of nesting from a byte scan, and
each feed copies its folder path) and which is quadratic on some malformed input (``</``
or ``<?`` repeated: a minute for 400 KB). The rewrite holds no comments, CDATA,
processing instructions or declarations, and every "<" in it starts a tag. listparser
also checks each of a feed's folders and categories against the ones before, so the
places one feed may be named in are capped too.
"""

from __future__ import annotations

import codecs
import html.entities
import re
from typing import Any
from xml.parsers import expat

from digests.errors import InputError

# The largest exports seen in the wild hold a few thousand feeds in well under 1 MB; these
# caps leave room for ten times that and keep a hostile file cheap to refuse.
MAX_OPML_BYTES = 8 * 1024 * 1024
MAX_OUTLINES = 10_000
MAX_DEPTH = 32
# Elements of any kind (head, title, stray tags): bounds the scan's loop.
MAX_ELEMENTS = 4 * MAX_OUTLINES + 100
# Folder paths and categories of one feed (a feed in many folders, or a ``category``
# attribute's comma-separated tags), and the length of one ``category`` attribute.
MAX_PLACES = 64
MAX_CATEGORY_CHARS = 4096

DECLARATION_REFUSED = "DOCTYPE and ENTITY declarations are not accepted in an OPML file"
# What a file's first bytes say about its encoding (UTF-32's marks first: they begin
# with UTF-16's), else its XML declaration's encoding name.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# "<" or white space in UTF-16 without a byte order mark, little- or big-endian.
_UTF16_STARTS = frozenset(pair for c in b"<\t\n\r " for pair in (bytes((c, 0)), bytes((0, c))))
_DECLARED = re.compile(rb"""\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z][\w.-]{0,39})["']""")
# A reference as written, and a bare "&": exports built from strings leave the "&" of a
# query string unescaped and use HTML's names (&nbsp;), which XML rejects.
_REFERENCE = re.compile(r"&(#[0-9]+;|#x[0-9A-Fa-f]+;|[A-Za-z_:][\w.:-]*;)")
_BARE_AMPERSAND = re.compile(r"&(?!#[0-9]+;|#x[0-9A-Fa-f]+;|[A-Za-z_:][\w.:-]*;)")
_XML_ENTITIES = frozenset({"amp;", "lt;", "gt;", "quot;", "apos;"})
# The types of an OPML 1.0 outline that names its feed in ``url``.
_FEED_TYPES = frozenset({"rss", "atom"})
# What the rewrite for listparser escapes: its tokenizer unescapes exactly these.
_MARKUP = str.maketrans({"&": "&amp;", "<": "&lt;", '"': "&quot;"})
# Characters XML 1.0 cannot carry at all, not even as a character reference.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class OpmlError(InputError):
    """The OPML file cannot be imported at all; the message says why in one line."""


def too_large(size: int) -> str:
    return f"the file is too large ({size:,} bytes; at most {MAX_OPML_BYTES:,})"


def decode_opml(data: bytes) -> str:
    """The file's text: decoded as its byte order mark says, as UTF-16 when it starts
    with "<" or white space beside a zero byte, else as UTF-8 when it is valid UTF-8, else
    as its XML declaration names (some tools write ISO-8859-1 or windows-1252; others
    declare it over UTF-8, which another encoding's text almost never passes for).
    OpmlError when it is not such text."""
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), None)
    if encoding is None and data[:2] in _UTF16_STARTS:
        encoding = "utf-16-le" if data[0] else "utf-16-be"
    if encoding is None:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            declared = _DECLARED.match(data, 0, 1024)
            encoding = declared.group(1).decode("ascii").lower() if declared else "utf-8"
            if encoding.startswith(("utf-16", "utf16", "utf-32", "utf32")):
                encoding = "utf-8"  # its declaration read as single bytes: it is not
    try:
        return data.decode(encoding)
    except LookupError:  # unknown, or no text encoding (rot13)
        raise OpmlError(f"unknown text encoding {encoding!r} in the XML declaration") from None
    except UnicodeDecodeError as exc:
        label = "UTF-8" if encoding.startswith("utf-8") else encoding
        raise OpmlError(f"the file is not {label} text (bad byte at offset {exc.start})") from None


def _repaired(text: str) -> str:
    """``text`` made well-formed where exports commonly are not: a bare "&" escaped,
    HTML's named entities as character references, references to characters XML cannot
    carry (&#0;, &#xD800;) and such characters written raw as U+FFFD."""
    # References first: the bare "&"s escaped after them cost no call each (8 MB of "&"
    # took 10 s through the function).
    text = _REFERENCE.sub(_reference, NOT_XML.sub("\ufffd", text))
    return _BARE_AMPERSAND.sub("&amp;", text)


def _reference(match: re.Match[str]) -> str:
    body = match.group(1)
    if body in _XML_ENTITIES:
        return match.group(0)
    if body[0] == "#":
        hexadecimal = body[1] == "x"
        digits = body[2 if hexadecimal else 1 : -1].lstrip("0") or "0"
        value = int(digits, 16 if hexadecimal else 10) if len(digits) <= 7 else -1
        return match.group(0) if _xml_char(value) else "&#xFFFD;"
    chars = html.entities.html5.get(body)
    return "".join(f"&#{ord(c)};" for c in chars) if chars else "&amp;" + body


def _xml_char(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def rewrite_for_listparser(text: str) -> bytes:
    """``text`` (a whole file) repaired, read by expat with the caps counted on what it
    nests, and written back as UTF-8 markup for listparser. OpmlError when it is not
    well-formed XML even after the repairs, declares entities, or passes a cap."""
    repaired = _repaired(text)
    if len(repaired) > 2 * MAX_OPML_BYTES:  # 8 MB of "&" became 40 MB of "&amp;"
        raise OpmlError(f"the file's text, repaired, exceeds {2 * MAX_OPML_BYTES:,} characters")
    return _Rewriter().run(repaired)


class _Rewriter:
    """Reads the text with expat, counting the caps on what XML actually nests, and
    writes its elements back as markup an HTML tokenizer reads the same way: elements
    and their attributes only (the import reads no text: comments, CDATA, processing
    instructions and declarations are left out), every value escaped."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.size = self.depth = self.elements = self.outlines = 0
        self.parser: Any = None
        # How many folders and categories each feed URL was found in so far.
        self.places: dict[str, int] = {}

    def line(self) -> int:
        return int(self.parser.CurrentLineNumber) if self.parser else 0

    def run(self, text: str) -> bytes:
        self.parser = parser = expat.ParserCreate()
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.StartDoctypeDeclHandler = self.refuse
        parser.EntityDeclHandler = self.refuse
        try:
            parser.Parse(text, True)  # a str: read as UTF-8 whatever the declaration says
        except expat.ExpatError as exc:
            raise OpmlError(f"not an OPML file (not well-formed XML: {exc})") from None
        return "".join(self.out).encode("utf-8")

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.elements += 1
        self.depth += 1
        if self.elements > MAX_ELEMENTS:
            raise OpmlError(f"more than {MAX_ELEMENTS:,} elements in one file")
        if self.depth > MAX_DEPTH:
            raise OpmlError(f"outlines nested more than {MAX_DEPTH} deep")
        if name.rsplit(":", 1)[-1].lower() == "outline":
            self.outlines += 1
            if self.outlines > MAX_OUTLINES:
                raise OpmlError(f"more than {MAX_OUTLINES:,} outlines in one file")
            attrs = _with_feed_url(attrs)
            self.check_categories(attrs)
        values = "".join(f' {key}="{value.translate(_MARKUP)}"' for key, value in attrs.items())
        self.write(f"<{name}{values}>")

    def end(self, name: str) -> None:
        self.depth -= 1
        self.write(f"</{name}>")

    def check_categories(self, attrs: dict[str, str]) -> None:
        # listparser checks each folder path and category of a feed against the ones it
        # already has: quadratic per feed (40,000 categories on one outline took 76 s, one
        # feed in 5,000 folders 5 s). Real files name a feed in a few places.
        lower = {key.lower(): value for key, value in attrs.items()}
        category = lower.get("category")
        places = 1
        if category is not None:
            places += category.count(",") + 1
            if places > MAX_PLACES or len(category) > MAX_CATEGORY_CHARS:
                raise OpmlError(
                    f"an outline's category attribute names more than {MAX_PLACES - 1} "
                    f"categories or {MAX_CATEGORY_CHARS:,} characters (line {self.line()})"
                )
        url = (lower.get("xmlurl") or lower.get("url") or lower.get("htmlurl") or "").strip()
        if url:
            self.places[url] = self.places.get(url, 0) + places
            if self.places[url] > MAX_PLACES:
                raise OpmlError(
                    f"one feed is in more than {MAX_PLACES} folders and categories "
                    f"(line {self.line()})"
                )

    def refuse(self, *_: Any) -> None:
        raise OpmlError(DECLARATION_REFUSED)

    def write(self, piece: str) -> None:
        # Escaping can make a value longer ('"' is six characters): bounded all the same.
        self.size += len(piece)
        if self.size > 2 * MAX_OPML_BYTES:
            raise OpmlError(f"the file's values, escaped, exceed {2 * MAX_OPML_BYTES:,} characters")
        self.out.append(piece)


def _with_feed_url(attrs: dict[str, str]) -> dict[str, str]:
    """An OPML 1.0 feed may give its address as ``url`` (with ``type="rss"``), where
    listparser looks only for ``xmlUrl`` and would take the feed for a folder."""
    lower = {key.lower(): value for key, value in attrs.items()}
    if "xmlurl" in lower or "url" not in lower:
        return attrs
    if lower.get("type", "").strip().lower() not in _FEED_TYPES:
        return attrs
    return {**attrs, "xmlUrl": lower["url"]}
