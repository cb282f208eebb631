"""The Discord adapter (discord.py): the ``/news`` slash commands and buttons, the gateway
events that matter to delivery, and delivery to channels, threads and DMs.

``client`` is the bot and ``sender`` delivers; ``group`` assembles the commands from
``commands`` (reader and server), ``admin`` (bot admins) with ``push`` (the breaking-push
flow), and the buttons of ``buttons``. They share the leaves ``context`` (the
application's parts, who asks, checks, replies), ``choices`` (what the options offer),
``spelling`` (how replies name the commands), ``access`` (who may do what) and
``translator`` (Vietnamese descriptions); ``settings`` holds the adapter's settings.
"""
