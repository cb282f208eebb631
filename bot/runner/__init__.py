"""The parts of ``digestbot run`` that start and stop one adapter each (Telegram, Discord,
the admin API) and build the senders, so that ``bot.run.Runner`` only orders them.
``bot.run`` imports a module only when its adapter is configured, so a process without a
Discord token never loads discord.py; python-telegram-bot is loaded when the Telegram
commands or sender start."""
