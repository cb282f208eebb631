"""The Discord adapter (discord.py). For now: delivery to channels, threads and DMs."""
