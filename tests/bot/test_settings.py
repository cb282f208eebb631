"""All settings together: the core's plus the Telegram and Discord adapters' own, read at
start-up from one environment mapping (bot.settings)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.settings import BotSettings, load_bot_settings
from bot.telegram.settings import TelegramSettings
from digests.envfields import SettingsError, bind_address, declared
from digests.settings import Settings


def test_defaults() -> None:
    settings = load_bot_settings({})
    assert settings == BotSettings()
    assert settings.core == Settings()
    assert settings.platforms.telegram.bot_token is None
    assert settings.platforms.telegram.webhook_bind == "127.0.0.1:8443"
    assert settings.platforms.discord.shard_count is None
    assert settings.platforms.discord.guild_ids == frozenset()
    assert settings.platforms.discord.gateway_url == "wss://gateway.discord.gg/"
    assert settings.secrets() == []


def test_telegram_settings() -> None:
    settings = load_bot_settings(
        {
            "TELEGRAM_ADMIN_IDS": "12, 34;56",
            "TELEGRAM_WEBHOOK_URL": "https://bot.example/hook",
            "TELEGRAM_WEBHOOK_SECRET": "s3cret_token-value",
            "ADMIN_LOG_CHAT": "telegram:-100",
        }
    )
    telegram = settings.platforms.telegram
    assert telegram.admin_ids == frozenset({12, 34, 56})
    assert telegram.webhook_url == "https://bot.example/hook"
    assert telegram.webhook_bind == "127.0.0.1:8443"
    assert settings.core.admin_log_chat == "telegram:-100"


def test_discord_settings() -> None:
    discord = load_bot_settings(
        {
            "DISCORD_ADMIN_IDS": "111,222",
            "DISCORD_GUILD_IDS": "500",
            "DISCORD_SHARD_COUNT": "4",
            "DISCORD_GATEWAY_URL": "ws://127.0.0.1:9/gateway",
        }
    ).platforms.discord
    assert discord.admin_ids == frozenset({111, 222})
    assert discord.guild_ids == frozenset({500})
    assert discord.shard_count == 4
    assert discord.gateway_url == "ws://127.0.0.1:9/gateway"
    # Unset is "as many as Discord says"; 0 is not a way to say it.
    assert load_bot_settings({"DISCORD_SHARD_COUNT": ""}).platforms.discord.shard_count is None
    assert load_bot_settings({"DISCORD_SHARD_COUNT": "1000"}).platforms.discord.shard_count == 1000


def test_ipv6_webhook_bind_and_the_largest_id() -> None:
    telegram = load_bot_settings(
        {"TELEGRAM_WEBHOOK_BIND": "[::]:8443", "TELEGRAM_ADMIN_IDS": "18446744073709551615"}
    ).platforms.telegram
    assert bind_address(telegram.webhook_bind) == ("::", 8443)
    assert telegram.admin_ids == frozenset({2**64 - 1})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TELEGRAM_ADMIN_IDS": "12,alice"}, "TELEGRAM_ADMIN_IDS"),
        ({"TELEGRAM_WEBHOOK_URL": "http://x.example/hook"}, "https"),
        ({"TELEGRAM_WEBHOOK_URL": "https://x.example/hook"}, "TELEGRAM_WEBHOOK_SECRET"),
        (
            {"TELEGRAM_WEBHOOK_URL": "https://x.example/hook", "TELEGRAM_WEBHOOK_SECRET": "short"},
            "TELEGRAM_WEBHOOK_SECRET must be set with the webhook URL: 16-256",
        ),
        ({"TELEGRAM_WEBHOOK_BIND": "8443"}, "TELEGRAM_WEBHOOK_BIND"),
        ({"DISCORD_ADMIN_IDS": "me"}, "DISCORD_ADMIN_IDS"),
        ({"DISCORD_SHARD_COUNT": "two"}, "DISCORD_SHARD_COUNT"),
        ({"DISCORD_GATEWAY_URL": "https://gateway.example"}, "DISCORD_GATEWAY_URL"),
        ({"TELEGRAM_ADMIN_IDS": "9" * 5000}, r"TELEGRAM_ADMIN_IDS .*\(5000 characters\)"),
        ({"DISCORD_GUILD_IDS": "1" * 21}, "DISCORD_GUILD_IDS"),
        ({"DISCORD_SHARD_COUNT": "9" * 5000}, "DISCORD_SHARD_COUNT must be at most 1000"),
        # Red-team: shard counts, ids and addresses used to be taken as they came.
        ({"DISCORD_SHARD_COUNT": "0"}, "DISCORD_SHARD_COUNT must be at least 1, got 0"),
        ({"DISCORD_SHARD_COUNT": "100000"}, "DISCORD_SHARD_COUNT must be at most 1000, got"),
        ({"TELEGRAM_ADMIN_IDS": "1,,2"}, "TELEGRAM_ADMIN_IDS has an empty item"),
        ({"TELEGRAM_ADMIN_IDS": "1,2,"}, "TELEGRAM_ADMIN_IDS has an empty item"),
        ({"TELEGRAM_ADMIN_IDS": "1,-3"}, r"TELEGRAM_ADMIN_IDS must be .*from 1\), got '-3'"),
        ({"DISCORD_ADMIN_IDS": "0"}, r"DISCORD_ADMIN_IDS must be .*, got '0'"),
        ({"DISCORD_GUILD_IDS": "5;;6"}, "DISCORD_GUILD_IDS has an empty item"),
        ({"DISCORD_GUILD_IDS": "18446744073709551616"}, "DISCORD_GUILD_IDS must be"),
        ({"DISCORD_API_BASE_URL": "notaurl"}, "DISCORD_API_BASE_URL must be a URL starting"),
        ({"DISCORD_API_BASE_URL": "http://h:99999/api"}, "DISCORD_API_BASE_URL .*port 1-65535"),
        ({"DISCORD_API_BASE_URL": "ftp://h/api"}, "DISCORD_API_BASE_URL .*http://"),
        ({"DISCORD_GATEWAY_URL": "wss://"}, "DISCORD_GATEWAY_URL .*with a host"),
        ({"DISCORD_GATEWAY_URL": "wss://g.example/?v=9"}, "DISCORD_GATEWAY_URL must not have"),
        ({"TELEGRAM_API_BASE_URL": "http://localhost"}, "TELEGRAM_API_BASE_URL must have a path"),
        ({"TELEGRAM_API_BASE_URL": "ftp://x"}, "TELEGRAM_API_BASE_URL .*http:// or https://"),
        ({"TELEGRAM_API_BASE_URL": "http://h:0/bot"}, "TELEGRAM_API_BASE_URL must have a port"),
        ({"TELEGRAM_API_BASE_URL": "http://[::1/bot"}, "TELEGRAM_API_BASE_URL .*valid host"),
        ({"TELEGRAM_API_BASE_URL": "http://h/\u202ebot"}, "TELEGRAM_API_BASE_URL .*control"),
        ({"TELEGRAM_API_BASE_URL": "http://h/" + "b" * 5000}, "TELEGRAM_API_BASE_URL"),
        ({"TELEGRAM_WEBHOOK_BIND": "0.0.0.0:0"}, "TELEGRAM_WEBHOOK_BIND: port must be"),
        # The core's settings are read in the same pass.
        ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL must be one of DEBUG, INFO, WARNING"),
    ],
)
def test_bad_values_are_one_line_errors_naming_the_setting(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message) as caught:
        load_bot_settings(env)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 200


def test_a_webhook_secret_is_never_shown_in_an_error() -> None:
    secret = "not valid because of spaces"
    with pytest.raises(SettingsError) as caught:
        TelegramSettings(webhook_url="https://x.example/hook", webhook_secret=secret)
    assert secret not in str(caught.value)


def test_the_secrets_to_redact_come_from_the_declarations() -> None:
    settings = load_bot_settings(
        {
            "TELEGRAM_BOT_TOKEN": " 123:abc ",
            "DISCORD_BOT_TOKEN": "discord-token",
            "API_TOKEN": "0123456789abcdef",
            "TELEGRAM_WEBHOOK_URL": "https://bot.example/hook",
            "TELEGRAM_WEBHOOK_SECRET": "s3cret_token-value",
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",
            "LLM_API_KEY": "sk-model-key-1234",
        }
    )
    assert sorted(settings.secrets()) == sorted(
        ["123:abc", "discord-token", "0123456789abcdef", "s3cret_token-value", "sk-model-key-1234"]
    )
    secret_names = {
        spec.env for spec, _ in declared(BotSettings) if getattr(spec.kind, "secret", False)
    }
    assert secret_names == {
        "TELEGRAM_BOT_TOKEN",
        "DISCORD_BOT_TOKEN",
        "API_TOKEN",
        "TELEGRAM_WEBHOOK_SECRET",
        "LLM_API_KEY",
    }


def test_the_platforms_settings_are_not_the_cores() -> None:
    core = {spec.env for spec, _ in declared(Settings)}
    assert not {name for name in core if name.endswith(("_TOKEN", "_IDS", "_URL", "_BIND"))} - {
        "API_TOKEN",
        "API_BIND",
        "DATABASE_URL",
        "LLM_BASE_URL",  # the model is the core's (digests.summaries), not a platform's
    }


def test_reading_the_settings_loads_no_platform_library() -> None:
    code = (
        "import sys\n"
        "from bot.settings import load_bot_settings\n"
        "load_bot_settings({'TELEGRAM_BOT_TOKEN': 't', 'DISCORD_BOT_TOKEN': 'd'})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('telegram', 'discord')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("value", ["1\u0662\u0663", "0123", "1" * 21, "12a"])
def test_a_discord_application_id_is_ascii_digits(value: str) -> None:
    with pytest.raises(SettingsError, match="DISCORD_APPLICATION_ID"):
        load_bot_settings({"DISCORD_APPLICATION_ID": value})
