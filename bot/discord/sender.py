"""Send messages to Discord through discord.py's HTTP client, translating its errors into
the core's delivery errors. discord.py honours Discord's rate-limit bucket headers itself;
the Pacer keeps us under the documented limits so those buckets are rarely hit.

In an announcement channel a message accepted by Discord is then published to the servers
that follow the channel: best effort, within the hourly limit counted in the store. Nothing
about a publish (our limit, Discord's 429, an error, a time-out) ever fails the send: the
message is posted, and a send that raised would be sent again."""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

import aiohttp
import discord
from discord.http import HTTPClient, Route, handle_message_parameters

from bot.logs import redact
from digests import safejson
from digests.delivery_errors import (
    DeliveryError,
    DestinationGone,
    MessageRejected,
    RateLimited,
    TransientError,
)
from digests.outgoing import Destination, OutgoingMessage
from digests.publishing import hold_for
from digests.store import Reservation, Store
from digests.timeutil import Clock, SystemClock

log = logging.getLogger(__name__)

PLATFORM = "discord"
CONTENT_LIMIT = 2000
# A 429 asking to wait longer than this raises (discord.RateLimited) instead of sleeping
# inside discord.py (30 s is the least discord.py accepts): the delivery worker, and the
# publish, decide what to do about it without holding a send for up to an hour.
MAX_RATELIMIT_WAIT_S = 30.0
# The longest a publish is waited for (a short 429 that discord.py waits out, a slow
# answer, 5xx retries); after it the message counts as unpublished. Publishes run beside
# the sends, so this delays no part; the request itself is never cancelled half-way: one
# cancelled while discord.py waits out a global 429 would leave every later request of
# the session waiting for ever.
PUBLISH_TIMEOUT_S = 10.0
# Publishes under way at once, over all channels (one at a time in each channel).
PUBLISH_CONCURRENCY = 4

# Discord's answer to a publish in a channel that is no announcement channel.
NOT_THIS_CHANNEL_TYPE = 50024
# Discord's JSON error codes that mean "not ours to post in any more".
GONE_CODES = {
    10003: "unknown channel",
    10013: "unknown user",
    50001: "missing access",
    50007: "cannot send messages to this user",
    50013: "missing permissions",
}


# How long a send waits after a 429 whose wait is missing or nonsense (NaN, negative), and
# the longest it ever waits: 1e309 arrives as infinity, and the worker would hold the
# channel's slot for ever.
DEFAULT_SEND_WAIT_S = 5.0
MAX_SEND_WAIT_S = 3600.0


def refuse_wild_json() -> None:
    """Make discord.py decode Discord's answers with ``safejson`` (process-wide, as
    ``Route.BASE`` is). Its own ``json.loads`` takes NaN, Infinity and 1e309: a 429 whose
    retry_after is NaN made discord.py sleep for ever, holding the route's bucket and,
    with ``global: true``, every request of the session. Numbers and constants are
    checked; the walk for depth and lone surrogates is left out (message content is what
    members wrote, and Discord's to check)."""
    discord.utils._from_json = functools.partial(safejson.loads, check=False)


def send_wait(retry_after: object) -> float:
    """The wait a send's 429 asked for, as a number the worker can sleep on."""
    try:
        wait = float(retry_after)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return DEFAULT_SEND_WAIT_S
    if wait != wait or wait < 0:  # NaN too
        return DEFAULT_SEND_WAIT_S
    return min(wait, MAX_SEND_WAIT_S)


def header_wait(exc: discord.HTTPException) -> float | None:
    """A 429's Retry-After header (seconds), None when it has none that reads."""
    header = exc.response.headers.get("Retry-After", "") if exc.response else ""
    try:
        return float(header[:20])
    except ValueError:
        return None


def classify(exc: Exception, token: str | None = None) -> DeliveryError:
    """The delivery error a discord.py (or aiohttp) exception stands for. Its text is kept
    (in the outbox, in notes to admins), so the token is redacted from it: an error page
    can echo the request's ``Authorization: Bot <token>`` header."""
    if isinstance(exc, discord.RateLimited):
        return RateLimited(send_wait(exc.retry_after))
    if isinstance(exc, discord.HTTPException) and exc.status == 429:
        # discord.py gave up on it (five 429s in a row, or one it took for Cloudflare's):
        # still a wait, never a refused message that would be resent as plain text and
        # then dead-lettered.
        return RateLimited(send_wait(header_wait(exc)))
    if isinstance(exc, discord.HTTPException):
        text = redact(exc.text, [token])
        if exc.code in GONE_CODES or exc.status in (403, 404):
            return DestinationGone(f"{GONE_CODES.get(exc.code, text)} ({exc.code})")
        if isinstance(exc, discord.DiscordServerError) or exc.status >= 500:
            return TransientError(f"Discord {exc.status}: {text}")
        return MessageRejected(f"Discord {exc.status} ({exc.code}): {text}")
    return TransientError(redact(f"{type(exc).__name__}: {exc}", [token]))


def publish_retry_after(exc: Exception) -> float | None:
    """The wait a refused publish asked for (a 429), or None for any other failure.

    discord.py raises RateLimited for a 429 longer than it may wait; a 429 without the
    proxy header it expects comes as a plain HTTPException, whose Retry-After is read."""
    if isinstance(exc, discord.RateLimited):
        return float(exc.retry_after)
    if isinstance(exc, discord.HTTPException) and exc.status == 429:
        wait = header_wait(exc)
        return -1.0 if wait is None else wait  # no readable wait: the default hold
    return None


def with_ping(text: str, role: str | None) -> tuple[str, discord.AllowedMentions]:
    """The content and allowed mentions of a message: nobody is ever pinged, except the
    one role a channel chose for breaking news."""
    if not role:
        return text, discord.AllowedMentions.none()
    mention = f"<@&{role}>"
    room = CONTENT_LIMIT - len(mention) - 1
    if len(text) > room:  # the ping must fit: the end of an over-long text gives way
        text = text[: room - 1] + "…"
    content = f"{mention} {text}" if text else mention
    allowed = discord.AllowedMentions(
        everyone=False, users=False, roles=[discord.Object(id=int(role))], replied_user=False
    )
    return content, allowed


class DiscordSender:
    """The Discord implementation of the core's Sender protocol."""

    platform = PLATFORM

    def __init__(
        self, http: HTTPClient, store: Store | None = None, clock: Clock | None = None
    ) -> None:
        """``store`` keeps the count of publishes in announcement channels; without it
        nothing is published."""
        self.http = http
        self._store = store
        self._clock = clock or SystemClock()
        # Publishes waiting or under way, and the requests they made (a request outlives
        # a publish that stopped waiting for it): held, so the tasks are not collected.
        self._publishing: set[asyncio.Task[Any]] = set()
        # Each channel's turn, and how many publishes wait for it (gone at none).
        self._turns: dict[str, tuple[asyncio.Lock, list[int]]] = {}
        self._slots = asyncio.Semaphore(PUBLISH_CONCURRENCY)

    @classmethod
    async def start(
        cls, token: str, base_url: str, store: Store | None = None, clock: Clock | None = None
    ) -> DiscordSender:
        """Log in over REST (no gateway needed to post). Raises DeliveryError on failure."""
        # discord.py builds every REST URL from this class attribute; a self-hosted proxy
        # or a test's fake server replaces it.
        Route.BASE = base_url.rstrip("/")
        refuse_wild_json()
        http = HTTPClient(asyncio.get_running_loop(), max_ratelimit_timeout=MAX_RATELIMIT_WAIT_S)
        try:
            await http.static_login(token)
        except (discord.HTTPException, aiohttp.ClientError) as exc:
            await http.close()
            raise classify(exc, token) from exc
        return cls(http, store, clock)

    async def send(self, destination: Destination, message: OutgoingMessage) -> str:
        # A thread or forum post is a channel of its own.
        channel = destination.thread_id or destination.chat_id
        embeds = [discord.Embed.from_dict(dict(e)) for e in message.embeds]
        content, mentions = with_ping(message.text, destination.ping_role)
        params = handle_message_parameters(
            content=content or None,
            embeds=embeds if embeds else discord.utils.MISSING,
            allowed_mentions=mentions,
        )
        try:
            with params:
                sent: dict[str, Any] = await self.http.send_message(channel, params=params)
        except (
            TimeoutError,
            discord.DiscordException,
            aiohttp.ClientError,
            safejson.JSONInputError,  # an answer refused by refuse_wild_json: transient
        ) as exc:
            raise classify(exc, self.http.token) from exc
        message_id = str(sent["id"])
        # A thread (even one of an announcement channel) has no followers.
        if destination.publish and destination.thread_id is None and self._store is not None:
            self._publish_later(channel, message_id)
        return message_id

    def _publish_later(self, channel: str, message_id: str) -> None:
        """Publish beside the sends: the next part goes out without waiting for it."""
        self._hold(
            asyncio.get_running_loop().create_task(self._publish_in_turn(channel, message_id))
        )

    def _hold(self, task: asyncio.Task[Any]) -> None:
        self._publishing.add(task)
        task.add_done_callback(self._publishing.discard)

    async def _publish_in_turn(self, channel: str, message_id: str) -> None:
        """One publish at a time in a channel, in the order of its parts: a 429 on one
        sets the hold before the next asks Discord."""
        turn, waiting = self._turns.setdefault(channel, (asyncio.Lock(), [0]))
        waiting[0] += 1
        try:
            async with turn, self._slots:
                await self.publish(channel, message_id)
        finally:
            waiting[0] -= 1
            if not waiting[0]:
                del self._turns[channel]

    async def settle(self, timeout: float | None = None) -> None:
        """Wait for the publishes under way (at most ``timeout`` seconds)."""
        loop = asyncio.get_running_loop()
        end = None if timeout is None else loop.time() + timeout
        while self._publishing:
            left = None if end is None else end - loop.time()
            if left is not None and left <= 0:
                return
            await asyncio.wait(set(self._publishing), timeout=left)

    async def publish(self, channel: str, message_id: str) -> bool:
        """Publish a message posted in an announcement channel, if the channel's hourly
        limit allows; whether it was published. Never raises: a message that could not be
        published stays posted, with one log line."""
        if self._store is None:
            return False
        try:
            reservation = await self._store.reserve_publish(
                PLATFORM, channel, message_id, now=self._clock.now()
            )
        except Exception as exc:  # the store failing must not fail a send that went out
            log.warning("not publishing message %s in %s: %s", message_id, channel, exc)
            return False
        if reservation is None:
            return False  # no longer an announcement channel (or forgotten meanwhile)
        if not reservation.verdict.allowed:
            until = reservation.verdict.until
            log.info(
                "not publishing message %s in %s: %s (until %s)",
                message_id,
                channel,
                reservation.verdict.reason,
                until.strftime("%H:%M UTC") if until else "?",
            )
            return False
        try:
            request = asyncio.ensure_future(
                self.http.publish_message(int(channel), int(message_id))
            )
            self._hold(request)
            request.add_done_callback(_retrieved)
            await asyncio.wait_for(asyncio.shield(request), PUBLISH_TIMEOUT_S)
        except Exception as exc:  # best effort: every failure is one log line, no raise
            await self._publish_failed(reservation, channel, message_id, exc)
            return False
        return True

    async def _publish_failed(
        self, reservation: Reservation, channel: str, message_id: str, exc: Exception
    ) -> None:
        retry_after = publish_retry_after(exc)
        limited = retry_after is not None
        hold = hold_for(retry_after, self._clock.now()) if limited else None
        why = (
            f"Discord asked to wait {retry_after:.0f} s"
            if limited
            else redact(f"{type(exc).__name__}: {exc}", [self.http.token])[:300]
        )
        log.info("message %s in %s stays unpublished: %s", message_id, channel, why)
        try:
            await self._store.publish_refused(  # type: ignore[union-attr]
                reservation, limited=limited, hold_until=hold
            )
            if isinstance(exc, discord.HTTPException) and exc.code == NOT_THIS_CHANNEL_TYPE:
                # Made a text channel while the gateway did not tell us: each later part
                # would ask in vain (and use up the hour). The next ready or
                # CHANNEL_UPDATE, or a subscribe there, turns it on again.
                await self._store.set_announcement(  # type: ignore[union-attr]
                    PLATFORM, channel, False
                )
                log.info("channel %s is no announcement channel any more", channel)
        except Exception as again:  # the count stays as reserved: counted, on the safe side
            log.warning("could not record the refused publish in %s: %s", channel, again)

    async def stop_publishing(self, timeout: float = PUBLISH_TIMEOUT_S) -> None:
        """Give the publishes under way ``timeout`` seconds, then drop the rest (their
        messages stay posted, unpublished), before the HTTP session closes under them."""
        await self.settle(timeout)
        for task in list(self._publishing):
            task.cancel()
        await asyncio.gather(*self._publishing, return_exceptions=True)

    async def close(self) -> None:
        await self.stop_publishing()
        await self.http.close()


def _retrieved(task: asyncio.Future[Any]) -> None:
    """Take a background request's outcome, so asyncio does not log it as never retrieved
    (a publish that stopped waiting for it told its failure already)."""
    if not task.cancelled():
        task.exception()
