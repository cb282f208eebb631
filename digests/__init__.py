"""digestbot's platform-free core: store, ingestion, assembly, rendering.

Nothing in this package imports a chat platform or scheduler library; the adapters in
``bot/`` call into it with the current time and their own ``Sender``.
"""

__version__ = "0.1.0"
