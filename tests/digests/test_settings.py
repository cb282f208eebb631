from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from digests.envfields import Spec, declared
from digests.llm_settings import LlmSettings
from digests.reach_settings import Reach
from digests.settings import (
    DeliveryLimits,
    DigestLimits,
    FetchLimits,
    Settings,
    SettingsError,
    bind_address,
    load_settings,
)
from digests.zones import resolve_zone


def test_defaults() -> None:
    settings = load_settings({})
    assert settings.database_path == Path("digestbot.db")
    assert settings.feeds_file == Path("feeds.toml")
    assert settings.digest.per_category == 5 and settings.digest.overall == 15
    assert settings.digest.first_lookback == timedelta(hours=24)
    assert settings.fetch.timeout_s <= 15 and settings.fetch.max_bytes == 5 * 1024 * 1024


def test_values_from_environment() -> None:
    settings = load_settings(
        {
            "DATABASE_URL": "sqlite:////var/lib/digestbot/news.db",
            "DIGEST_MAX_PER_CATEGORY": "3",
            "FIRST_DIGEST_LOOKBACK_HOURS": "48",
            "DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
            "DEFAULT_DIGEST_TIME": "7:5",
            "FEED_DEFAULT_INTERVAL": "1h",
            "SEND_EMPTY_DIGEST": "yes",
            "TEMPLATES_DIR": "/etc/digestbot/templates",
        }
    )
    assert settings.database_path == Path("/var/lib/digestbot/news.db")
    assert settings.digest.per_category == 3
    assert settings.digest.first_lookback == timedelta(hours=48)
    assert settings.default_timezone == "Asia/Ho_Chi_Minh"
    assert settings.default_digest_time == "07:05"
    assert settings.fetch.default_interval == timedelta(hours=1)
    assert settings.digest.send_empty is True
    assert settings.templates_dir == Path("/etc/digestbot/templates")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://u:pw@:5432/db"}, "DATABASE_URL"),
        ({"DIGEST_MAX_STORIES": "many"}, "DIGEST_MAX_STORIES"),
        ({"DIGEST_MAX_STORIES": "0"}, "DIGEST_MAX_STORIES"),
        ({"DEFAULT_TIMEZONE": "Mars/Olympus"}, "time zone"),
        ({"DEFAULT_DIGEST_TIME": "25:00"}, "time of day"),
        ({"DEFAULT_LANGUAGE": "fr"}, "DEFAULT_LANGUAGE"),
        ({"SEND_EMPTY_DIGEST": "perhaps"}, "SEND_EMPTY_DIGEST"),
        ({"FEED_DEFAULT_INTERVAL": "often"}, "FEED_DEFAULT_INTERVAL"),
        ({"FETCH_TIMEOUT_SECONDS": "60"}, "FETCH_TIMEOUT_SECONDS"),
        ({"ADMIN_LOG_CHAT": "slack:1"}, "ADMIN_LOG_CHAT"),
        ({"DISPATCH_INTERVAL_SECONDS": "120"}, "DISPATCH_INTERVAL_SECONDS"),
    ],
)
def test_bad_values_name_the_setting(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(env)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL must be one of DEBUG, INFO, WARNING"),
        ({"FEED_DEFAULT_INTERVAL": "99999999999999d"}, "FEED_DEFAULT_INTERVAL"),
        ({"DIGEST_MAX_STORIES": "9" * 5000}, "DIGEST_MAX_STORIES must be at most"),
        ({"DIGEST_MAX_STORIES": "-" + "9" * 5000}, "DIGEST_MAX_STORIES must be at least 1"),
        ({"RETENTION_DAYS": "10000000"}, "RETENTION_DAYS must be at most 3650"),
        ({"FIRST_DIGEST_LOOKBACK_HOURS": "999999999"}, "FIRST_DIGEST_LOOKBACK_HOURS"),
        ({"DIGEST_CATCHUP_HOURS": "99999999"}, "DIGEST_CATCHUP_HOURS"),
        ({"STORY_WINDOW_HOURS": "99999999"}, "STORY_WINDOW_HOURS"),
        ({"TELEGRAM_MAX_RATE": "nan"}, "TELEGRAM_MAX_RATE must be a number"),
        ({"TELEGRAM_MAX_RATE": "1e400"}, "TELEGRAM_MAX_RATE must be a number"),
        ({"DISCORD_MAX_RATE": "0.01"}, "DISCORD_MAX_RATE must be at least 0.1"),
        ({"API_BIND": "127.0.0.1:99999"}, "API_BIND: port must be 1-65535"),
        ({"API_BIND": "::1:8080"}, r"API_BIND must be host:port or \[IPv6 address\]:port"),
        ({"API_BIND": "[::1]"}, "API_BIND"),
        ({"ADMIN_LOG_CHAT": "telegram:" + "9" * 5000}, "ADMIN_LOG_CHAT must look like"),
        ({"ADMIN_LOG_CHAT": "discord:general"}, "ADMIN_LOG_CHAT must look like"),
    ],
)
def test_hostile_values_are_one_line_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message) as caught:
        load_settings(env)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 200


def test_decimal_rates_and_ipv6_binds_are_accepted() -> None:
    settings = load_settings(
        {
            "TELEGRAM_MAX_RATE": "0.5",
            "DISCORD_MAX_RATE": "12.75",
            "API_BIND": "[::1]:8080",
            "LOG_LEVEL": "warn",
            "ADMIN_LOG_CHAT": "telegram:@newsroom_ops",
        }
    )
    assert settings.admin_log_chat == "telegram:@newsroom_ops"
    assert settings.delivery.telegram_max_rate == 0.5
    assert settings.delivery.discord_max_rate == 12.75
    assert bind_address(settings.api_bind) == ("::1", 8080)
    assert bind_address("localhost:80") == ("localhost", 80)
    assert settings.log_level == "WARNING"


def test_a_decimal_fetch_timeout_is_accepted() -> None:
    assert load_settings({"FETCH_TIMEOUT_SECONDS": "2.5"}).fetch.timeout_s == 2.5


def test_each_field_is_declared_once_as_a_setting_or_group() -> None:
    # Fields that are not read from the environment, on purpose.
    fixed = {"user_agent", "backoff_base", "backoff_cap"}
    names = []
    for cls in (Settings, DigestLimits, FetchLimits, DeliveryLimits, Reach, LlmSettings):
        for one in dataclasses.fields(cls):
            kinds = {"digestbot.setting", "digestbot.group"} & set(one.metadata)
            assert len(kinds) == 1 or one.name in fixed, f"{cls.__name__}.{one.name}"
        names += [spec.env for spec, _ in declared(cls)]
    core = [spec.env for spec, _ in declared(Settings)]
    assert len(core) == len(set(core)) == 47
    assert set(names) == set(core)


@pytest.mark.parametrize(
    ("spec", "default"), list(declared(Settings)), ids=lambda v: getattr(v, "env", "")
)
def test_each_default_reads_back_as_itself(spec: Spec, default: object) -> None:
    # What .env.example shows for a setting is its default, and parses back to it.
    shown = spec.kind.show(default)
    assert (spec.kind.parse(spec.env, shown) if shown else None) == (default if shown else None)
    assert load_settings({spec.env: shown}) == load_settings({spec.env: "  "}) == Settings()


HOSTILE = ["9" * 5000, "-" + "9" * 5000, "\udcff", "a\u202eb", "x\x00\n", "1e400", "nan"]


@pytest.mark.parametrize(
    "spec", [spec for spec, _ in declared(Settings)], ids=lambda spec: spec.env
)
def test_every_setting_survives_hostile_text(spec: Spec) -> None:
    for text in HOSTILE:
        try:
            load_settings({spec.env: text})
        except SettingsError as exc:
            message = str(exc)
            assert message.startswith(spec.env) and "\n" not in message, message
            assert len(message) < 200, message


def test_a_time_zone_is_read_as_readers_type_it() -> None:
    # The same rule as /timezone (digests.zones): any case, old names followed.
    assert resolve_zone("utc") == ("UTC", []) == resolve_zone("UTC")
    assert load_settings({"DEFAULT_TIMEZONE": "UTC"}).default_timezone == "UTC"
    assert load_settings({"DEFAULT_TIMEZONE": "asia/saigon"}).default_timezone == (
        "Asia/Ho_Chi_Minh"
    )
    with pytest.raises(SettingsError, match=r"DEFAULT_TIMEZONE: unknown.*Europe/Paris"):
        load_settings({"DEFAULT_TIMEZONE": "Europe/Pariss"})


def test_bounds_are_part_of_the_declaration() -> None:
    with pytest.raises(SettingsError, match="FETCH_TIMEOUT_SECONDS must be at most 15, got 60"):
        load_settings({"FETCH_TIMEOUT_SECONDS": "60"})
    with pytest.raises(SettingsError, match="DISPATCH_INTERVAL_SECONDS must be at most 60, got"):
        load_settings({"DISPATCH_INTERVAL_SECONDS": "9" * 5000})
    assert load_settings({"DISPATCH_INTERVAL_SECONDS": "60"}).delivery.dispatch_interval == (
        timedelta(minutes=1)
    )


def test_link_tags_and_hosts_are_read_and_shown_back() -> None:
    reach = load_settings(
        {
            "LINK_TAGS": "utm_source=digestbot&utm_medium={platform}",
            "LINK_TAG_HOSTS": "News.Example., www.paper.example",
        }
    ).reach
    assert reach.link_tags == (("utm_source", "digestbot"), ("utm_medium", "{platform}"))
    assert reach.link_tag_hosts == {"news.example", "www.paper.example"}
    assert reach.pictures is True


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LINK_TAGS", "utm_source"),
        ("LINK_TAGS", "utm_source=a b"),
        ("LINK_TAGS", "utm_source=\u202e"),
        ("LINK_TAGS", "&".join(f"k{n}=v" for n in range(21))),
        ("LINK_TAG_HOSTS", "news.example/path"),
        ("LINK_TAG_HOSTS", "-bad.example"),
        ("DIGEST_PICTURES", "maybe"),
    ],
)
def test_bad_reach_settings_are_refused_in_one_line(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name) as caught:
        load_settings({name: value})
    assert "\n" not in str(caught.value)
