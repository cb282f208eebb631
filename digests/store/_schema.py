"""The database schema as an ordered list of migrations.

Add new migrations at the end; never edit one that has shipped. ``PRAGMA user_version`` holds
how many have been applied (on PostgreSQL, the ``schema_version`` table), and each runs in
its own transaction. Migrations are written in SQLite's DDL; ``_engine.postgres_ddl`` spells
them for PostgreSQL. Write new ones in what both engines share.
"""

# long module: the schema's history, one migration after another, reads best whole

from __future__ import annotations

# Bidi marks, embeddings, overrides and isolates: ingest removes them from text
# (digests.ingest.normalise), and migration 6 from text stored before it did.
_BIDI_CONTROLS = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))


def _without_bidi(column: str) -> str:
    """An SQL expression: ``column`` with every bidi control removed."""
    expression = column
    for code in _BIDI_CONTROLS:
        expression = f"replace({expression}, char({code}), '')"
    return expression


def _strip_bidi(table: str, *columns: str) -> str:
    return "\n".join(
        f"UPDATE {table} SET {c} = {_without_bidi(c)} WHERE {c} <> {_without_bidi(c)};"
        for c in columns
    )


MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema.
    """
    CREATE TABLE categories (
        slug        TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        position    INTEGER NOT NULL DEFAULT 0
    );

    CREATE TABLE feeds (
        id                 INTEGER PRIMARY KEY,
        url                TEXT NOT NULL UNIQUE,
        name               TEXT,
        title              TEXT,
        interval_s         INTEGER NOT NULL,
        priority           INTEGER NOT NULL DEFAULT 0,
        etag               TEXT,
        last_modified      TEXT,
        consecutive_errors INTEGER NOT NULL DEFAULT 0,
        last_error         TEXT,
        last_error_at      TEXT,
        last_fetched_at    TEXT,
        next_fetch_at      TEXT,
        disabled           INTEGER NOT NULL DEFAULT 0,
        disabled_reason    TEXT,
        created_at         TEXT NOT NULL
    );
    CREATE INDEX feeds_due ON feeds (disabled, next_fetch_at);

    CREATE TABLE feed_categories (
        feed_id  INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
        category TEXT NOT NULL REFERENCES categories (slug) ON DELETE CASCADE,
        PRIMARY KEY (feed_id, category)
    );

    -- AUTOINCREMENT: a story id is never reused, since sent_stories remembers ids after
    -- retention deleted the story itself.
    CREATE TABLE stories (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        title         TEXT NOT NULL,
        first_seen_at TEXT NOT NULL,
        last_seen_at  TEXT NOT NULL
    );
    CREATE INDEX stories_last_seen ON stories (last_seen_at);

    -- id is the order in which articles entered the store: digest cursors point into it.
    -- scope is 'feed:<id>' or 'import:<source>', the namespace in which guid/url are unique.
    CREATE TABLE articles (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        scope        TEXT NOT NULL,
        feed_id      INTEGER REFERENCES feeds (id) ON DELETE SET NULL,
        guid         TEXT,
        url          TEXT NOT NULL,
        title        TEXT NOT NULL,
        title_key    TEXT NOT NULL DEFAULT '',
        summary      TEXT NOT NULL DEFAULT '',
        source       TEXT NOT NULL,
        author       TEXT,
        image_url    TEXT,
        word_count   INTEGER NOT NULL DEFAULT 0,
        published_at TEXT NOT NULL,
        date_known   INTEGER NOT NULL DEFAULT 1,
        fetched_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL,
        story_id     INTEGER REFERENCES stories (id) ON DELETE SET NULL
    );
    CREATE UNIQUE INDEX articles_scope_guid ON articles (scope, guid) WHERE guid IS NOT NULL;
    CREATE INDEX articles_scope_url ON articles (scope, url);
    CREATE INDEX articles_story ON articles (story_id);
    CREATE INDEX articles_published ON articles (published_at);

    CREATE TABLE article_categories (
        article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        category   TEXT NOT NULL REFERENCES categories (slug) ON DELETE CASCADE,
        PRIMARY KEY (article_id, category)
    );
    CREATE INDEX article_categories_category ON article_categories (category, article_id);

    CREATE TABLE subscribers (
        id                INTEGER PRIMARY KEY,
        platform          TEXT NOT NULL,
        chat_id           TEXT NOT NULL,
        guild_id          TEXT,
        thread_id         TEXT NOT NULL DEFAULT '',
        language          TEXT NOT NULL DEFAULT 'en',
        timezone          TEXT NOT NULL DEFAULT 'UTC',
        digest_time       TEXT NOT NULL DEFAULT '08:00',
        frequency         TEXT NOT NULL DEFAULT 'daily'
                          CHECK (frequency IN ('daily', 'weekdays', 'weekly')),
        weekly_day        INTEGER CHECK (weekly_day BETWEEN 0 AND 6),
        active            INTEGER NOT NULL DEFAULT 1,
        paused            INTEGER NOT NULL DEFAULT 0,
        inactive_reason   TEXT,
        cursor_article_id INTEGER,
        last_digest_at    TEXT,
        next_digest_at    TEXT,
        created_at        TEXT NOT NULL,
        updated_at        TEXT NOT NULL,
        UNIQUE (platform, chat_id, thread_id)
    );
    CREATE INDEX subscribers_due ON subscribers (active, paused, next_digest_at);
    CREATE INDEX subscribers_guild ON subscribers (platform, guild_id);

    CREATE TABLE subscriptions (
        subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
        category      TEXT NOT NULL REFERENCES categories (slug) ON DELETE CASCADE,
        keywords      TEXT NOT NULL DEFAULT '',
        created_at    TEXT NOT NULL,
        PRIMARY KEY (subscriber_id, category)
    );
    CREATE INDEX subscriptions_category ON subscriptions (category);

    -- One row per message sent (or attempted) to a subscriber.
    CREATE TABLE deliveries (
        id            INTEGER PRIMARY KEY,
        subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
        kind          TEXT NOT NULL CHECK (kind IN ('digest', 'breaking', 'preview')),
        period        TEXT,
        status        TEXT NOT NULL,
        story_count   INTEGER NOT NULL DEFAULT 0,
        parts         INTEGER NOT NULL DEFAULT 0,
        error         TEXT,
        created_at    TEXT NOT NULL,
        sent_at       TEXT
    );
    CREATE INDEX deliveries_subscriber ON deliveries (subscriber_id, created_at);
    CREATE INDEX deliveries_created ON deliveries (created_at);

    -- Which stories a subscriber has already received, so none is sent twice.
    CREATE TABLE sent_stories (
        subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
        story_id      INTEGER NOT NULL,
        delivery_id   INTEGER REFERENCES deliveries (id) ON DELETE SET NULL,
        sent_at       TEXT NOT NULL,
        PRIMARY KEY (subscriber_id, story_id)
    );
    """,
    # 2: the delivery outbox.
    """
    -- Rendered messages, stored once however many subscribers receive the same digest;
    -- body is the message as zlib-compressed JSON (a dispatch writes thousands of them).
    CREATE TABLE payloads (
        id   INTEGER PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        body BLOB NOT NULL
    );

    -- One row per digest period or breaking story per subscriber: the unique key is what
    -- makes a second dispatcher or a restart unable to enqueue the same digest twice.
    CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        subscriber_id   INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
        kind            TEXT NOT NULL CHECK (kind IN ('digest', 'breaking')),
        period          TEXT NOT NULL,
        priority        INTEGER NOT NULL DEFAULT 0,
        platform        TEXT NOT NULL,
        status          TEXT NOT NULL DEFAULT 'queued' CHECK (status IN
                        ('queued', 'sending', 'retrying', 'sent', 'dead', 'cancelled')),
        payload_ids     TEXT NOT NULL,
        parts_sent      INTEGER NOT NULL DEFAULT 0,
        message_ids     TEXT NOT NULL DEFAULT '[]',
        story_ids       TEXT NOT NULL DEFAULT '[]',
        cursor          INTEGER,
        attempts        INTEGER NOT NULL DEFAULT 0,
        plain_fallback  INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error      TEXT,
        batch           TEXT,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        sent_at         TEXT,
        UNIQUE (subscriber_id, kind, period)
    );
    CREATE INDEX outbox_ready ON outbox (status, priority DESC, next_attempt_at, id);
    CREATE INDEX outbox_batch ON outbox (batch);

    ALTER TABLE subscribers ADD COLUMN delivery_failures INTEGER NOT NULL DEFAULT 0;

    -- Small facts about the running system (last dispatch, ...).
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 3: breaking-news pushes and the audit log.
    """
    CREATE TABLE pushes (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        category     TEXT NOT NULL REFERENCES categories (slug),
        story_id     INTEGER NOT NULL,
        article_id   INTEGER NOT NULL,
        status       TEXT NOT NULL DEFAULT 'sending'
                     CHECK (status IN ('sending', 'done', 'cancelled')),
        requested_by TEXT NOT NULL,
        total        INTEGER NOT NULL DEFAULT 0,
        created_at   TEXT NOT NULL,
        finished_at  TEXT
    );
    -- One push per category at a time.
    CREATE UNIQUE INDEX pushes_one_at_a_time ON pushes (category) WHERE status = 'sending';

    ALTER TABLE outbox ADD COLUMN push_id INTEGER REFERENCES pushes (id);
    CREATE INDEX outbox_push ON outbox (push_id, status);

    -- Every admin action, allowed or refused.
    CREATE TABLE audit (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        at       TEXT NOT NULL,
        actor    TEXT NOT NULL,
        platform TEXT NOT NULL,
        action   TEXT NOT NULL,
        target   TEXT,
        outcome  TEXT NOT NULL CHECK (outcome IN ('ok', 'refused', 'failed')),
        detail   TEXT
    );
    CREATE INDEX audit_at ON audit (at);
    """,
    # 4: what community servers (Discord guilds) set per server and per channel.
    """
    -- The platform user who first set a chat up: told when delivery there stops.
    ALTER TABLE subscribers ADD COLUMN set_up_by TEXT;
    -- A role pinged with breaking news in this channel (Discord); NULL pings nobody.
    ALTER TABLE subscribers ADD COLUMN breaking_role TEXT;

    -- Per-server settings: the role whose members may change the server's channels.
    CREATE TABLE guild_settings (
        platform   TEXT NOT NULL,
        guild_id   TEXT NOT NULL,
        admin_role TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (platform, guild_id)
    );
    """,
    # 5: one article per (scope, canonical URL), enforced by the database. Stored URLs are
    # recomputed under the current canonical rules (dot segments resolved, query kept as
    # written, hosts in punycode; digestbot_canonical_url is registered by the store), then
    # articles that became, or already were, duplicates are merged into the oldest: the
    # keeper takes the duplicates' categories, and their guid and story when it has none;
    # whoever received a duplicate's story counts as having received the keeper's; pushes
    # point at the keeper; stories left empty go.
    """
    UPDATE articles SET url = digestbot_canonical_url(url),
        image_url = digestbot_canonical_url(image_url);
    -- A feed whose address now equals another feed's keeps its old spelling (OR IGNORE).
    UPDATE OR IGNORE feeds SET url = digestbot_canonical_url(url);

    CREATE TEMP TABLE merge_articles AS
        SELECT a.id AS dup, k.keep AS keep
        FROM articles a
        JOIN (SELECT scope, url, MIN(id) AS keep FROM articles
              GROUP BY scope, url HAVING COUNT(*) > 1) k
          ON a.scope = k.scope AND a.url = k.url
        WHERE a.id <> k.keep;

    UPDATE articles SET story_id = (
            SELECT d.story_id FROM merge_articles m JOIN articles d ON d.id = m.dup
            WHERE m.keep = articles.id AND d.story_id IS NOT NULL ORDER BY d.id LIMIT 1)
        WHERE story_id IS NULL AND id IN (SELECT keep FROM merge_articles);

    CREATE TEMP TABLE merge_guids AS
        SELECT m.keep AS keep, (
            SELECT d.guid FROM merge_articles m2 JOIN articles d ON d.id = m2.dup
            WHERE m2.keep = m.keep AND d.guid IS NOT NULL ORDER BY d.id LIMIT 1) AS guid
        FROM merge_articles m GROUP BY m.keep;

    CREATE TEMP TABLE merge_stories AS
        SELECT DISTINCT d.story_id AS old, k.story_id AS new
        FROM merge_articles m
        JOIN articles d ON d.id = m.dup
        JOIN articles k ON k.id = m.keep
        WHERE d.story_id IS NOT NULL AND k.story_id IS NOT NULL AND d.story_id <> k.story_id;

    INSERT OR IGNORE INTO article_categories (article_id, category)
        SELECT m.keep, ac.category FROM merge_articles m
        JOIN article_categories ac ON ac.article_id = m.dup;

    INSERT OR IGNORE INTO sent_stories (subscriber_id, story_id, delivery_id, sent_at)
        SELECT s.subscriber_id, ms.new, s.delivery_id, s.sent_at
        FROM sent_stories s JOIN merge_stories ms ON ms.old = s.story_id;

    UPDATE stories SET last_seen_at = MAX(last_seen_at, (
            SELECT MAX(o.last_seen_at) FROM merge_stories ms JOIN stories o ON o.id = ms.old
            WHERE ms.new = stories.id))
        WHERE id IN (SELECT new FROM merge_stories);

    UPDATE pushes SET article_id = (SELECT keep FROM merge_articles WHERE dup = article_id)
        WHERE article_id IN (SELECT dup FROM merge_articles);

    DELETE FROM article_categories WHERE article_id IN (SELECT dup FROM merge_articles);
    DELETE FROM articles WHERE id IN (SELECT dup FROM merge_articles);

    UPDATE articles SET guid = (SELECT guid FROM merge_guids WHERE keep = articles.id)
        WHERE guid IS NULL
          AND id IN (SELECT keep FROM merge_guids WHERE guid IS NOT NULL);

    UPDATE pushes SET story_id = (SELECT MIN(new) FROM merge_stories WHERE old = story_id)
        WHERE story_id IN (SELECT old FROM merge_stories)
          AND story_id NOT IN (SELECT story_id FROM articles WHERE story_id IS NOT NULL);
    DELETE FROM stories
        WHERE id IN (SELECT old FROM merge_stories)
          AND id NOT IN (SELECT story_id FROM articles WHERE story_id IS NOT NULL);

    DROP TABLE merge_articles;
    DROP TABLE merge_guids;
    DROP TABLE merge_stories;

    DROP INDEX articles_scope_url;
    CREATE UNIQUE INDEX articles_scope_url ON articles (scope, url);
    """,
    # 6: stored text loses the bidi controls ingest now removes, so a title stored before
    # cannot pose as a file name or another link.
    _strip_bidi("articles", "title", "summary", "source", "author")
    + _strip_bidi("stories", "title"),
    # 7: chat surfaces against hostile members (issue 19).
    """
    -- A category that left feeds.toml is retired, not deleted: readers no longer see it,
    -- and its subscriptions wait, dormant, in case it comes back.
    ALTER TABLE categories ADD COLUMN retired_at TEXT;

    -- The last change to a chat's digest and who made it, written with the change.
    ALTER TABLE subscribers ADD COLUMN last_change TEXT;
    ALTER TABLE subscribers ADD COLUMN changed_by TEXT;
    ALTER TABLE subscribers ADD COLUMN changed_at TEXT;

    -- Refusals are one row per actor a minute, counting the attempts.
    ALTER TABLE audit ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
    CREATE INDEX audit_actor ON audit (actor, platform, at);
    """,
    # 8: reach (issue 18): subscribe links, sign-ups, feed origins, announcement channels.
    """
    -- Codes made by `digestbot links add`: a payload of t.me/<bot>?start=<code>.
    -- categories is a JSON list of slugs; a retired code is kept so that a reader who taps
    -- an old link is told so, and a code is never handed out twice.
    CREATE TABLE links (
        code       TEXT PRIMARY KEY,
        categories TEXT NOT NULL,
        source     TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        retired_at TEXT
    );
    -- Which link brought a chat in, and nothing more (not even when): at most one row
    -- per chat, gone with the chat. link is a code or a category slug; source is the
    -- code's source ('' for a slug).
    CREATE TABLE signups (
        subscriber_id INTEGER PRIMARY KEY REFERENCES subscribers (id) ON DELETE CASCADE,
        link          TEXT NOT NULL,
        source        TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX signups_link ON signups (link, source);

    -- Where a feed came from decides who may disable it: `feeds sync` disables only
    -- feeds that came from feeds.toml. Feeds stored before this migration came from the
    -- file or from `feeds add`; which one is not recorded, so they count as the file's
    -- (what sync did to them until now).
    ALTER TABLE feeds ADD COLUMN origin TEXT NOT NULL DEFAULT 'file'
        CHECK (origin IN ('file', 'cli', 'import', 'api'));

    -- A Discord announcement channel: its digests are published to the servers that
    -- follow it.
    ALTER TABLE subscribers ADD COLUMN announcement INTEGER NOT NULL DEFAULT 0;
    -- Every publish attempt, so that the per-channel hourly limit survives a restart;
    -- gone with the chat.
    CREATE TABLE publishes (
        id            INTEGER PRIMARY KEY,
        subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
        message_id    TEXT NOT NULL,
        at            TEXT NOT NULL,
        outcome       TEXT NOT NULL CHECK (outcome IN ('published', 'limited', 'failed'))
    );
    CREATE INDEX publishes_subscriber ON publishes (subscriber_id, at);
    -- A channel Discord told to wait (429 on publish) is not asked again before until.
    CREATE TABLE publish_holds (
        subscriber_id INTEGER PRIMARY KEY REFERENCES subscribers (id) ON DELETE CASCADE,
        until         TEXT NOT NULL
    );
    """,
    # 9: several processes on one database (issue 12).
    """
    -- Every running process, with the roles it holds, beating every few seconds.
    CREATE TABLE processes (
        name         TEXT PRIMARY KEY,
        roles        TEXT NOT NULL DEFAULT '',
        in_flight    INTEGER NOT NULL DEFAULT 0,
        started_at   TEXT NOT NULL,
        heartbeat_at TEXT NOT NULL
    );
    -- Run-once roles ('leader', 'sender:telegram', ...): one holder each, until it expires.
    CREATE TABLE leases (
        name   TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        since  TEXT NOT NULL,
        until  TEXT NOT NULL
    );
    -- An outbox entry being sent belongs to claimed_by until lease_until; renewed while
    -- sending, taken over by another process once it has expired.
    ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
    ALTER TABLE outbox ADD COLUMN lease_until TEXT;
    CREATE INDEX outbox_leases ON outbox (status, lease_until);
    -- A due feed is fetched by the one process that claimed it, until claim_until.
    ALTER TABLE feeds ADD COLUMN claimed_by TEXT;
    ALTER TABLE feeds ADD COLUMN claim_until TEXT;
    -- Breaking pushes previewed in a chat, waiting for their admin's confirmation: kept
    -- here so that a press after a restart, or taken by another process, still works.
    CREATE TABLE pending_pushes (
        token      TEXT PRIMARY KEY,
        platform   TEXT NOT NULL,
        category   TEXT NOT NULL,
        article_id INTEGER NOT NULL,
        admin_id   TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX pending_pushes_expiry ON pending_pushes (expires_at);
    """,
    # 10: digests on time for crowds (issue 13).
    """
    -- The instant an entry is meant to arrive by: a digest's reader's minute (a crowd's
    -- digests are queued before it), a push's enqueue time. Ready entries are sent by
    -- priority, then in order of due_at.
    ALTER TABLE outbox ADD COLUMN due_at TEXT NOT NULL DEFAULT '';
    UPDATE outbox SET due_at = created_at;
    DROP INDEX outbox_ready;
    CREATE INDEX outbox_ready ON outbox (status, priority DESC, due_at, id);
    """,
    # 11: model summaries and translations (issue 14).
    """
    -- ISO 639-1 code of the article's text: its feed's declared language, else detected.
    ALTER TABLE articles ADD COLUMN language TEXT;
    -- One model summary per story and reader language. input_hash identifies what the
    -- model was given (digests.summaries.inputs); a story whose input is unchanged is never
    -- summarised again. status 'ready' rows are what digests show; 'failed' ones record a
    -- refused or abandoned attempt, so a bad story is not retried without end.
    CREATE TABLE story_summaries (
        story_id          INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
        language          TEXT NOT NULL,
        input_hash        TEXT NOT NULL,
        article_ids       TEXT NOT NULL,
        status            TEXT NOT NULL,
        attempts          INTEGER NOT NULL DEFAULT 1,
        title             TEXT,
        summary           TEXT,
        translated        INTEGER NOT NULL DEFAULT 0,
        model             TEXT NOT NULL DEFAULT '',
        prompt_tokens     INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        reason            TEXT,
        updated_at        TEXT NOT NULL,
        PRIMARY KEY (story_id, language)
    );
    -- Counters of the model's use per UTC day (calls, tokens, cache hits, fallbacks by
    -- reason): the daily budget and the stats read them, whichever process made the call.
    CREATE TABLE llm_usage (
        day   TEXT NOT NULL,
        name  TEXT NOT NULL,
        value INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (day, name)
    );
    """,
    # 12: the newsroom's web console (issue 15).
    """
    -- Console accounts. password_hash is argon2id (argon2-cffi's encoded form);
    -- must_change marks a password printed once by `digestbot console-user add`.
    CREATE TABLE console_users (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        name          TEXT NOT NULL UNIQUE,
        role          TEXT NOT NULL CHECK (role IN ('editor', 'admin')),
        password_hash TEXT NOT NULL,
        must_change   INTEGER NOT NULL DEFAULT 0,
        language      TEXT NOT NULL DEFAULT 'en',
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL
    );
    -- Signed-in sessions: the cookie carries a signed random token; only its SHA-256 is
    -- stored, so a copy of the database signs nobody in. A logout or a removed account
    -- deletes the row, whatever the cookie still says.
    CREATE TABLE console_sessions (
        token_hash   TEXT PRIMARY KEY,
        user_id      INTEGER NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
        csrf         TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        expires_at   TEXT NOT NULL,
        last_seen_at TEXT NOT NULL
    );
    CREATE INDEX console_sessions_user ON console_sessions (user_id);
    CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
    -- Failed log-ins in a row, per key ('account:<name>' or 'address:<ip>'), shared by
    -- every process behind the same database.
    CREATE TABLE console_logins (
        key          TEXT PRIMARY KEY,
        failures     INTEGER NOT NULL DEFAULT 0,
        last_failure TEXT NOT NULL,
        locked_until TEXT
    );
    -- Messages the platforms accepted, and the 429s they answered, per UTC minute and
    -- platform: the console's chart of the last 24 hours.
    CREATE TABLE send_minutes (
        minute   TEXT NOT NULL,
        platform TEXT NOT NULL,
        sent     INTEGER NOT NULL DEFAULT 0,
        limited  INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (minute, platform)
    );
    -- The console's subscribers page counts readers per language and time zone: an
    -- index-only walk instead of a pass over the whole table (0.6 s against 6 s at a
    -- million readers). A dispatch never changes these columns, so it costs it nothing.
    CREATE INDEX subscribers_language_zone ON subscribers (language, timezone, active, paused);
    -- The audit page's lists of actions and surfaces read an index, not the whole log.
    CREATE INDEX audit_action ON audit (action);
    CREATE INDEX audit_platform ON audit (platform);
    -- Counts by status of a push's outbox entries retention deleted (JSON): an old push's
    -- report still adds up (digests.store._push_counts).
    ALTER TABLE pushes ADD COLUMN purged TEXT NOT NULL DEFAULT '{}';
    """,
)

# Migrations whose PostgreSQL form differs. A PostgreSQL database is always created by a
# version that has every migration, so there is no old data to repair: 5 keeps only its
# change of schema (one article per scope and URL), and 6 (bidi controls removed from
# text stored before ingest removed them) has nothing to do.
POSTGRES_FORMS: dict[int, str] = {
    5: """
    DROP INDEX articles_scope_url;
    CREATE UNIQUE INDEX articles_scope_url ON articles (scope, url);
    """,
    6: "SELECT 1;",
}
