"""The parts of ``digestbot run`` that start and stop one adapter each (Telegram, Discord,
the admin API), so that ``bot.run.Runner`` only orders them. Each module imports its
platform library at the top; ``bot.run`` imports a module only when its adapter is
configured, so a process without a Discord token never loads discord.py."""
