"""How a setting is declared, once: a dataclass field whose metadata holds its environment
variable, its kind (which parses the text, checks bounds and choices, and writes the default
back as text) and its help line. ``load_group`` builds a settings dataclass from an
environment mapping, and ``env_example`` writes the text of ``.env.example``, both from these
declarations alone — so a default, a bound or a help line is never written twice.

``digests.settings`` declares the core's settings with it; each chat adapter declares its
own (``bot/telegram/settings.py``, ``bot/discord/settings.py``).
"""

from __future__ import annotations

import dataclasses
import re
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

from digests.errors import InputError
from digests.timeutil import format_duration, parse_duration

T = TypeVar("T")

_SPEC = "digestbot.setting"
_GROUP = "digestbot.group"
# Counts and sizes beyond this are mistakes (and would overflow a timedelta or SQLite).
MAX_NUMBER = 1_000_000_000


class SettingsError(InputError, ValueError):
    """A setting has a value that cannot be used; the message names it."""


def show(raw: str) -> str:
    """A setting's value for an error line: quoted, and cut when it is long."""
    return repr(raw) if len(raw) <= 40 else repr(raw[:40]) + f"… ({len(raw)} characters)"


class Kind(Protocol):
    """Turns a setting's text into its value (raising SettingsError naming the setting),
    and a value back into the text ``.env.example`` shows."""

    def parse(self, name: str, text: str) -> Any: ...

    def show(self, value: Any) -> str: ...


@dataclass(frozen=True)
class Whole:
    """A whole number within bounds; with ``unit``, that many units as a timedelta; with
    ``zero_is_none``, 0 means "not set" (the default None)."""

    minimum: int = 0
    maximum: int = MAX_NUMBER
    unit: timedelta | None = None
    zero_is_none: bool = False

    def parse(self, name: str, text: str) -> Any:
        # Checked before int(): Python refuses (with its own message) past 4,300 digits.
        if not re.fullmatch(r"[+-]?\d{1,18}", text):
            if re.fullmatch(r"-\d+", text):
                raise SettingsError(f"{name} must be at least {self.minimum}, got {show(text)}")
            if re.fullmatch(r"\+?\d+", text):
                raise SettingsError(f"{name} must be at most {self.maximum}, got {show(text)}")
            raise SettingsError(f"{name} must be a whole number, got {show(text)}")
        value = int(text)
        if value < self.minimum:
            raise SettingsError(f"{name} must be at least {self.minimum}, got {value}")
        if value > self.maximum:
            raise SettingsError(f"{name} must be at most {self.maximum}, got {value}")
        if self.zero_is_none and value == 0:
            return None
        return value * self.unit if self.unit is not None else value

    def show(self, value: Any) -> str:
        if value is None:
            return ""
        return str(value // self.unit if self.unit is not None else value)


@dataclass(frozen=True)
class Decimal:
    """A plain decimal number (``2.5``) within bounds."""

    minimum: float
    maximum: float = MAX_NUMBER

    def parse(self, name: str, text: str) -> float:
        # Plain decimals only: no "nan", "inf", "1e400" or digit-group underscores.
        if not re.fullmatch(r"\d{1,12}(\.\d{1,9})?|\.\d{1,9}", text):
            raise SettingsError(f"{name} must be a number such as 2.5, got {show(text)}")
        value = float(text)
        if value < self.minimum:
            raise SettingsError(f"{name} must be at least {self.minimum:g}, got {text}")
        if value > self.maximum:
            raise SettingsError(f"{name} must be at most {self.maximum:g}, got {text}")
        return value

    def show(self, value: float) -> str:
        return f"{value:g}"


@dataclass(frozen=True)
class Flag:
    """true/false, yes/no, on/off or 1/0."""

    def parse(self, name: str, text: str) -> bool:
        lowered = text.lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise SettingsError(f"{name} must be true or false, got {show(text)}")

    def show(self, value: bool) -> str:
        return "true" if value else "false"


@dataclass(frozen=True)
class Duration:
    """``90s``, ``15m``, ``1h30m`` or ``2d``, then ``check`` (which raises ValueError)."""

    check: Callable[[timedelta], timedelta] | None = None

    def parse(self, name: str, text: str) -> timedelta:
        try:
            value = parse_duration(text)
            return self.check(value) if self.check is not None else value
        except (ValueError, OverflowError) as exc:
            raise SettingsError(f"{name}: {exc}") from None

    def show(self, value: timedelta) -> str:
        return format_duration(value)


# Telegram's and Discord's user and server ids are positive and fit in 64 bits.
MAX_ID = 2**64 - 1


@dataclass(frozen=True)
class Ids:
    """Comma- (or semicolon-) separated user or server ids: whole numbers from 1 up (a
    negative Telegram id is a group, never a user)."""

    def parse(self, name: str, text: str) -> frozenset[int]:
        ids = set()
        for part in text.replace(";", ",").split(","):
            part = part.strip()
            # "1,,2" or a trailing comma is a slip worth a word, not a silent skip.
            if not part:
                raise SettingsError(f"{name} has an empty item between commas, got {show(text)}")
            # At most 20 digits before int(): MAX_ID has 20.
            if not re.fullmatch(r"\d{1,20}", part) or not 1 <= int(part) <= MAX_ID:
                raise SettingsError(
                    f"{name} must be comma-separated user ids (whole numbers from 1), "
                    f"got {show(part)}"
                )
            ids.add(int(part))
        return frozenset(ids)

    def show(self, value: frozenset[int]) -> str:
        return ",".join(str(one) for one in sorted(value))


@dataclass(frozen=True)
class Choice:
    """One of a few words; ``upper`` compares in capitals, ``aliases`` maps old spellings."""

    choices: tuple[str, ...]
    upper: bool = False
    aliases: Mapping[str, str] = field(default_factory=dict)

    def parse(self, name: str, text: str) -> str:
        value = text.upper() if self.upper else text
        value = self.aliases.get(value, value)
        if value not in self.choices:
            raise SettingsError(
                f"{name} must be one of {', '.join(self.choices)}, got {show(value)}"
            )
        return value

    def show(self, value: str) -> str:
        return value


@dataclass(frozen=True)
class Text:
    """Free text that must match ``pattern`` (when given); else "<name> <must>[, got …]".
    A ``secret`` is never shown in an error, and is redacted from logs and output."""

    pattern: str | None = None
    must: str = ""
    secret: bool = False

    def parse(self, name: str, text: str) -> str:
        if self.pattern is not None and not re.fullmatch(self.pattern, text):
            got = "" if self.secret else f", got {show(text)}"
            raise SettingsError(f"{name} {self.must}{got}")
        return text

    def show(self, value: str | None) -> str:
        return value or ""


@dataclass(frozen=True)
class FilePath:
    """A file or folder path, relative to the working folder or absolute."""

    def parse(self, name: str, text: str) -> Path:
        return Path(text)

    def show(self, value: Path | None) -> str:
        return "" if value is None else str(value)


def bind_address(value: str, name: str = "bind address") -> tuple[str, int]:
    """``host:port`` or ``[IPv6]:port`` as (host, port); raise SettingsError otherwise."""
    match = re.fullmatch(r"\[([0-9A-Fa-f:.%\w-]+)\]:(\d{1,5})|([^:\[\]\s]+):(\d{1,5})", value)
    if match is None:
        raise SettingsError(f"{name} must be host:port or [IPv6 address]:port, got {show(value)}")
    host = match.group(1) or match.group(3)
    port = int(match.group(2) or match.group(4))
    if not 1 <= port <= 65535:
        raise SettingsError(f"{name}: port must be 1-65535, got {port}")
    return host, port


@dataclass(frozen=True)
class HostPort:
    """Where to listen: ``host:port`` or ``[IPv6 address]:port`` (kept as text)."""

    def parse(self, name: str, text: str) -> str:
        bind_address(text, name)
        return text

    def show(self, value: str) -> str:
        return value


@dataclass(frozen=True)
class Checked:
    """Text that ``check(name, text)`` turns into the value (raising SettingsError), and
    ``shown`` turns back; for the few settings with a format of their own."""

    check: Callable[[str, str], Any]
    shown: Callable[[Any], str] = str

    def parse(self, name: str, text: str) -> Any:
        return self.check(name, text)

    def show(self, value: Any) -> str:
        return self.shown(value)


@dataclass(frozen=True)
class Spec:
    """One setting: its variable, kind, help line and the .env.example section it sits in."""

    env: str
    kind: Kind
    help: str
    section: str

    def described(self) -> str:
        """The help line followed by the bounds, as .env.example and the README show it."""
        note = bounds_note(self.kind)
        return f"{self.help} ({note})" if note else self.help


def bounds_note(kind: Kind) -> str:
    """A number's bounds in words (``1-60``, ``at least 1024``), from its declaration."""
    if not isinstance(kind, Whole | Decimal):
        return ""
    low, high = f"{kind.minimum:g}", f"{kind.maximum:g}"
    if kind.maximum < MAX_NUMBER:
        note = f"{low}-{high}"
    else:
        note = f"at least {low}" if kind.minimum > 0 else ""
    if isinstance(kind, Decimal):
        note += ", decimals allowed"
    return note


def setting(env: str, kind: Kind, default: Any, help: str, *, section: str) -> Any:
    """A dataclass field for one setting; its default is the one used when it is unset."""
    return field(default=default, metadata={_SPEC: Spec(env, kind, help, section)})


def group(cls: type[Any]) -> Any:
    """A dataclass field holding a nested group of settings (its own dataclass)."""
    return field(default_factory=cls, metadata={_GROUP: cls})


def load_group(cls: type[T], env: Mapping[str, str]) -> T:
    """Build ``cls`` from ``env``: an unset or blank variable keeps the declared default;
    raise SettingsError naming the first variable whose value cannot be used."""
    values: dict[str, Any] = {}
    for one in dataclasses.fields(cls):  # type: ignore[arg-type]
        spec = one.metadata.get(_SPEC)
        if spec is not None:
            raw = env.get(spec.env)
            if raw is not None and raw.strip():
                values[one.name] = spec.kind.parse(spec.env, raw.strip())
        elif _GROUP in one.metadata:
            values[one.name] = load_group(one.metadata[_GROUP], env)
    return cls(**values)


def declared(cls: type[Any]) -> Iterator[tuple[Spec, Any]]:
    """Every setting of ``cls`` and its nested groups, in declaration order, with its
    default value."""
    for one in dataclasses.fields(cls):
        if _SPEC in one.metadata:
            yield one.metadata[_SPEC], one.default
        elif _GROUP in one.metadata:
            yield from declared(one.metadata[_GROUP])


def secrets_of(value: Any) -> list[str]:
    """The values of the settings declared secret in the dataclass ``value`` (and its
    nested groups) that are set: what logs and output must redact."""
    found: list[str] = []
    for one in dataclasses.fields(value):
        spec = one.metadata.get(_SPEC)
        current = getattr(value, one.name)
        if spec is not None and getattr(spec.kind, "secret", False) and current:
            found.append(current)
        elif _GROUP in one.metadata:
            found.extend(secrets_of(current))
    return found


@dataclass(frozen=True)
class Section:
    """A part of .env.example: a heading, and a note shown under it."""

    key: str
    title: str
    note: str = ""


def _comment(text: str) -> list[str]:
    return ["# " + line for line in textwrap.wrap(text, width=88)]


def in_order(sections: Sequence[Section], classes: Sequence[type[Any]]) -> list[tuple[Spec, Any]]:
    """Every setting of ``classes`` with its default, section by section. Raise ValueError
    for a setting whose section is not listed or a variable declared twice (a mistake in
    the declarations)."""
    specs = [pair for cls in classes for pair in declared(cls)]
    names = [spec.env for spec, _ in specs]
    twice = sorted({name for name in names if names.count(name) > 1})
    orphans = sorted({spec.section for spec, _ in specs} - {s.key for s in sections})
    if twice or orphans:
        raise ValueError(f"declared twice: {twice}; sections not listed: {orphans}")
    return [pair for section in sections for pair in specs if pair[0].section == section.key]


def env_example(intro: str, sections: Sequence[Section], classes: Sequence[type[Any]]) -> str:
    """The text of .env.example: ``intro``, then each section's settings, each with its
    help as a comment and its default as the value."""
    specs = in_order(sections, classes)
    lines = [line for paragraph in intro.split("\n") for line in _comment(paragraph)]
    for section in sections:
        lines += ["", f"# --- {section.title} ".ljust(90, "-")]
        if section.note:
            lines += [*_comment(section.note), ""]
        for spec, default in specs:
            if spec.section == section.key:
                lines += [*_comment(spec.described()), f"{spec.env}={spec.kind.show(default)}"]
    return "\n".join(lines) + "\n"
