from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from digests.settings import SettingsError, load_settings


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
    ],
)
def test_bad_values_name_the_setting(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(env)
