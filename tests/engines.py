"""The test modules whose ``store`` fixture runs on both engines (SQLite and PostgreSQL):
a path containing one of these parts. Add a line for a new module that uses the store."""

BOTH_ENGINES = (
    "tests/digests/store/",
    "tests/digests/test_deliver",
    "tests/digests/test_dispatch",
    "tests/digests/test_breaking",
    "tests/digests/test_actions",
    "tests/digests/test_signup",
    "tests/digests/test_push_entries",
    "tests/bot/api/test_breaking",
    "tests/e2e/",
    "tests/digests/ingest/test_language_stored",
    "tests/digests/test_stats_model",
    "tests/bot/api/test_stats_model",
    "tests/bot/web/test_breaking.py",
)
