from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from digests.settings import SettingsError, bind_address, load_settings


def test_defaults() -> None:
    settings = load_settings({})
    assert settings.database_path == Path("digestbot.db")
    assert settings.feeds_file == Path("feeds.toml")
    assert settings.digest.per_category == 5 and settings.digest.overall == 15
    assert settings.digest.first_lookback == timedelta(hours=24)
    assert settings.fetch.timeout_s <= 15 and settings.fetch.max_bytes == 5 * 1024 * 1024
    assert settings.telegram_bot_token is None


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


def test_telegram_settings() -> None:
    settings = load_settings(
        {
            "TELEGRAM_ADMIN_IDS": "12, 34;56",
            "TELEGRAM_WEBHOOK_URL": "https://bot.example/hook",
            "TELEGRAM_WEBHOOK_SECRET": "s3cret_token-value",
            "ADMIN_LOG_CHAT": "telegram:-100",
        }
    )
    assert settings.telegram_admin_ids == frozenset({12, 34, 56})
    assert settings.telegram_webhook_url == "https://bot.example/hook"
    assert settings.telegram_webhook_bind == "127.0.0.1:8443"
    assert settings.admin_log_chat == "telegram:-100"


def test_discord_settings() -> None:
    defaults = load_settings({})
    assert defaults.discord_shard_count is None and defaults.discord_guild_ids == frozenset()
    assert defaults.discord_gateway_url == "wss://gateway.discord.gg/"
    settings = load_settings(
        {
            "DISCORD_ADMIN_IDS": "111,222",
            "DISCORD_GUILD_IDS": "500",
            "DISCORD_SHARD_COUNT": "4",
            "DISCORD_GATEWAY_URL": "ws://127.0.0.1:9/gateway",
        }
    )
    assert settings.discord_admin_ids == frozenset({111, 222})
    assert settings.discord_guild_ids == frozenset({500})
    assert settings.discord_shard_count == 4
    assert settings.discord_gateway_url == "ws://127.0.0.1:9/gateway"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_URL": "postgres://x"}, "DATABASE_URL"),
        ({"DIGEST_MAX_STORIES": "many"}, "DIGEST_MAX_STORIES"),
        ({"DIGEST_MAX_STORIES": "0"}, "DIGEST_MAX_STORIES"),
        ({"DEFAULT_TIMEZONE": "Mars/Olympus"}, "time zone"),
        ({"DEFAULT_DIGEST_TIME": "25:00"}, "time of day"),
        ({"DEFAULT_LANGUAGE": "fr"}, "DEFAULT_LANGUAGE"),
        ({"SEND_EMPTY_DIGEST": "perhaps"}, "SEND_EMPTY_DIGEST"),
        ({"FEED_DEFAULT_INTERVAL": "often"}, "FEED_DEFAULT_INTERVAL"),
        ({"FETCH_TIMEOUT_SECONDS": "60"}, "FETCH_TIMEOUT_SECONDS"),
        ({"TELEGRAM_ADMIN_IDS": "12,alice"}, "TELEGRAM_ADMIN_IDS"),
        ({"TELEGRAM_WEBHOOK_URL": "http://x.example/hook"}, "https"),
        ({"TELEGRAM_WEBHOOK_URL": "https://x.example/hook"}, "TELEGRAM_WEBHOOK_SECRET"),
        ({"TELEGRAM_WEBHOOK_BIND": "8443"}, "TELEGRAM_WEBHOOK_BIND"),
        ({"ADMIN_LOG_CHAT": "slack:1"}, "ADMIN_LOG_CHAT"),
        ({"DISPATCH_INTERVAL_SECONDS": "120"}, "DISPATCH_INTERVAL_SECONDS"),
        ({"DISCORD_ADMIN_IDS": "me"}, "DISCORD_ADMIN_IDS"),
        ({"DISCORD_SHARD_COUNT": "two"}, "DISCORD_SHARD_COUNT"),
        ({"DISCORD_GATEWAY_URL": "https://gateway.example"}, "DISCORD_GATEWAY_URL"),
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
        ({"TELEGRAM_ADMIN_IDS": "9" * 5000}, r"TELEGRAM_ADMIN_IDS .*\(5000 characters\)"),
        ({"DISCORD_GUILD_IDS": "1" * 21}, "DISCORD_GUILD_IDS"),
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
        ({"TELEGRAM_WEBHOOK_BIND": "0.0.0.0:0"}, "TELEGRAM_WEBHOOK_BIND: port must be"),
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
            "TELEGRAM_WEBHOOK_BIND": "[::]:8443",
            "LOG_LEVEL": "warn",
            "TELEGRAM_ADMIN_IDS": "18446744073709551615",
            "ADMIN_LOG_CHAT": "telegram:@newsroom_ops",
        }
    )
    assert settings.admin_log_chat == "telegram:@newsroom_ops"
    assert settings.delivery.telegram_max_rate == 0.5
    assert settings.delivery.discord_max_rate == 12.75
    assert bind_address(settings.api_bind) == ("::1", 8080)
    assert bind_address(settings.telegram_webhook_bind) == ("::", 8443)
    assert bind_address("localhost:80") == ("localhost", 80)
    assert settings.log_level == "WARNING"
    assert settings.telegram_admin_ids == frozenset({2**64 - 1})


def test_a_decimal_fetch_timeout_is_accepted() -> None:
    assert load_settings({"FETCH_TIMEOUT_SECONDS": "2.5"}).fetch.timeout_s == 2.5
