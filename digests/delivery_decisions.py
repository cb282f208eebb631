"""What the delivery worker does about a failure: pure decisions, tested as tables.

``decide_failure`` answers a failed send (retry now, later, dead-letter, deactivate, follow
a migration, resend as plain text); ``claim_backoff`` how long to wait after the outbox
could not be read; ``one_line`` how an unexpected error is told in the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from digests.delivery_errors import (
    ChatMigrated,
    DeliveryError,
    DestinationGone,
    MessageRejected,
    RateLimited,
)
from digests.settings import DeliveryLimits

RATE_LIMIT_RETRIES = 5
# A 429 asking for longer than this is waited out in the queue, not asleep in a worker's
# slot: a one-hour wait slept five times over held a slot (and the chat's next entries
# theirs) for hours. The chat pauses this long at most before anything is tried there.
LONG_RATE_LIMIT_S = 60.0
# The longest a 429 delays an entry: a wild retry_after (1e20, infinity) must not
# overflow the date, which dead-lettered the entry.
MAX_RATE_LIMIT_WAIT_S = 86_400.0
# The longest wait between two tries at reading an outbox that keeps failing.
CLAIM_BACKOFF_CAP_S = 60.0


class Step(StrEnum):
    RETRY_NOW = "retry_now"  # send the same part again at once (after pacing)
    RETRY_LATER = "retry_later"  # put the entry back with a next attempt time
    DEAD = "dead"  # dead-letter with the reason
    DEACTIVATE = "deactivate"  # the destination refuses us: stop, keep settings, tell admins
    MIGRATE = "migrate"  # move the subscriber to the new chat id and resend
    PLAIN = "plain"  # resend as plain text


@dataclass(frozen=True)
class Decision:
    step: Step
    reason: str
    at: datetime | None = None
    count_attempt: bool = True
    # After a 429: how long the chat pauses before its next send (seconds).
    pause: float = 0.0


def backoff(attempt: int, limits: DeliveryLimits, jitter: float) -> timedelta:
    """Exponential backoff with jitter: base × 2^(attempt-1), capped, times 0.5–1.5."""
    raw = limits.backoff_base * (2 ** max(0, attempt - 1))
    return min(raw, limits.backoff_cap) * (0.5 + jitter)


def decide_failure(
    error: Exception,
    *,
    attempts: int,
    failures: int,
    rate_limited: int,
    plain_fallback: bool,
    now: datetime,
    limits: DeliveryLimits,
    jitter: float,
) -> Decision:
    """What to do after a send failed.

    ``attempts`` counts earlier failed attempts of this entry, ``failures`` the
    subscriber's consecutive refusals including this one, ``rate_limited`` the 429s met
    while sending this part.
    """
    if isinstance(error, RateLimited):
        wait = rate_limit_wait(error.retry_after)
        pause = min(wait, LONG_RATE_LIMIT_S)
        if rate_limited < RATE_LIMIT_RETRIES and wait <= LONG_RATE_LIMIT_S:
            return Decision(Step.RETRY_NOW, str(error), count_attempt=False, pause=pause)
        return Decision(
            Step.RETRY_LATER,
            str(error),
            at=now + timedelta(seconds=wait),
            count_attempt=False,
            pause=pause,
        )
    if isinstance(error, ChatMigrated):
        return Decision(Step.MIGRATE, str(error))
    if isinstance(error, MessageRejected):
        if not plain_fallback:
            return Decision(Step.PLAIN, str(error))
        return Decision(Step.DEAD, f"rejected even as plain text: {error}")
    if isinstance(error, DestinationGone):
        if failures >= limits.forbidden_limit:
            return Decision(Step.DEACTIVATE, str(error))
        return Decision(Step.RETRY_LATER, str(error), at=now + backoff(failures, limits, jitter))
    # Time-outs, 5xx, network errors, and anything a sender failed to classify.
    reason = str(error) if isinstance(error, DeliveryError) else f"{type(error).__name__}: {error}"
    if attempts + 1 >= limits.max_attempts:
        return Decision(Step.DEAD, f"gave up after {attempts + 1} attempts: {reason}")
    return Decision(Step.RETRY_LATER, reason, at=now + backoff(attempts + 1, limits, jitter))


def rate_limit_wait(retry_after: float) -> float:
    """A 429's wait as seconds to wait: NaN or negative is none, the longest is capped."""
    if not retry_after > 0:  # NaN too
        return 0.0
    return float(min(retry_after, MAX_RATE_LIMIT_WAIT_S))


def claim_backoff(failures: int, idle_wait: float) -> float:
    """Seconds to wait after the outbox could not be read ``failures`` times in a row."""
    return float(min(CLAIM_BACKOFF_CAP_S, idle_wait * 2 ** min(failures, 16)))


def one_line(error: BaseException) -> str:
    """An error as one short line for the log: its class and the first line of its text."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:300]}" if text else type(error).__name__
