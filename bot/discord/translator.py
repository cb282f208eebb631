"""Vietnamese names for the slash commands' descriptions and choices, given to Discord
when commands sync (discord.py's Translator), from the same catalog as every reply."""

from __future__ import annotations

import discord
from discord import app_commands

from digests.i18n import gettext

# Discord locale → our language.
LOCALES = {discord.Locale.vietnamese: "vi"}


def _(message: str) -> str:
    """Marks a description for translation (Babel extracts it); Discord gets the
    translations through ``CatalogTranslator`` when commands sync."""
    return message


class CatalogTranslator(app_commands.Translator):
    """Translates descriptions and choice names; command and option names stay English
    (they are what people type and what the help text shows)."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        language = LOCALES.get(locale)
        if language is None or context.location in (
            app_commands.TranslationContextLocation.command_name,
            app_commands.TranslationContextLocation.group_name,
            app_commands.TranslationContextLocation.parameter_name,
        ):
            return None
        translated = gettext(language, string.message)
        return translated if translated != string.message else None
