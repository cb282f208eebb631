"""The delivery worker's records of accepted parts, gathered into few write transactions.

At a thousand messages a second, one write transaction per accepted part (a dozen round
trips to the database each) costs more than the sends. A sending task hands its accepted
part to ``AcceptedWriter.record`` and waits: one writer task records every part handed
over meanwhile in one transaction (``Store.record_accepted``), and answers each waiting
task once it committed. So the rules stay as they were: a part is recorded only after the
platform accepted it, and an entry is let go (or taken again) only after its record
committed, so it is never sent twice while its process lives.

What widens is the window in which a crash loses a record: from the platform's answer to
the commit of the batch it joined (at most the batch being written and its own, tens of
milliseconds), instead of one transaction's time. A part accepted in that window is sent
again after the restart, as one accepted just before a crash always was.

A batch that fails is written again entry by entry (``mark_part_sent``, ``complete``), so
one bad record fails its own entry only, as before. A batch that did commit though its
answer was lost (a PostgreSQL connection dropped at COMMIT) is therefore written twice:
completing is conditional (``status <> 'sent'``), so its deliveries are logged once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from digests.store import Accepted, Store

log = logging.getLogger(__name__)

# Parts per transaction at most: a batch's statements stay short, and a task waits at
# most for the batch before its own.
MAX_BATCH = 500


class AcceptedWriter:
    """Records accepted parts through one writer task, in batches."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._pending: list[tuple[Accepted, asyncio.Future[bool]]] = []
        self._task: asyncio.Task[None] | None = None

    async def record(self, accepted: Accepted) -> bool:
        """Record one accepted part (completing its entry if it was the last); False when
        the entry vanished (its subscriber was forgotten). Raises what recording this
        part alone raised, if its batch failed."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((accepted, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._write())
        # Shielded: a cancelled sender still waits for the record it started; its part
        # was accepted, and the writer records it whatever becomes of the sender.
        return await asyncio.shield(future)

    async def drain(self) -> None:
        """Wait until everything handed over is written (a stopping worker)."""
        while self._task is not None and not self._task.done():
            with contextlib.suppress(Exception):
                await asyncio.shield(self._task)

    async def _write(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            try:
                answers = await self._store.record_accepted([a for a, _ in batch])
            except Exception as error:  # written again one by one: a failure stays its entry's
                log.warning(
                    "recording %d accepted parts at once failed (%s: %s); writing them one by one",
                    len(batch),
                    type(error).__name__,
                    str(error).splitlines()[0][:200] if str(error) else "",
                )
                await self._one_by_one(batch)
                continue
            for (_, future), answer in zip(batch, answers, strict=True):
                if not future.done():
                    future.set_result(answer)

    async def _one_by_one(self, batch: list[tuple[Accepted, asyncio.Future[bool]]]) -> None:
        for accepted, future in batch:
            try:
                answer = await self._write_one(accepted)
            except Exception as error:
                if not future.done():
                    future.set_exception(error)
            else:
                if not future.done():
                    future.set_result(answer)

    async def _write_one(self, accepted: Accepted) -> bool:
        entry = accepted.entry
        if accepted.last:
            return await self._store.complete(
                entry, now=accepted.now, last_part=(accepted.part, accepted.message_id)
            )
        return await self._store.mark_part_sent(
            entry.id, accepted.part, accepted.message_id, now=accepted.now, platform=entry.platform
        )
