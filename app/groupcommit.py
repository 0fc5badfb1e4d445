"""One transaction for what every room of the process wants written at the same moment.

Each room's runner appends its batch of events and acknowledges nothing before the append
is durable. With many rooms (a breakout hour: twenty workshops, a hundred commands a second
each) a transaction per runner batch means a thousand small transactions a second, each
with its own thread hand-off and commit. Here an append that finds no commit running
starts one at once, so a quiet server waits for nothing; appends that arrive while a commit
runs wait for it and then go together, in ONE transaction (``Store.append_many``), however
many workshops they belong to. The busier the server, the fuller each transaction.
"""

from __future__ import annotations

import asyncio
from weakref import WeakKeyDictionary

from app.store import Append, Recorded, SequenceConflict, Store

Waiting = tuple[Append, "asyncio.Future[list[Recorded]]"]

_SHARED: WeakKeyDictionary[Store, GroupCommit] = WeakKeyDictionary()


def group_commit(store: Store) -> GroupCommit:
    """The group commit every runner on ``store`` shares."""
    shared = _SHARED.get(store)
    if shared is None:
        shared = _SHARED[store] = GroupCommit(store)
    return shared


class GroupCommit:
    """Appends to one store, written together when they arrive together."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.transactions = 0  # how many transactions it ran (for tests and stats)
        self._waiting: list[Waiting] = []
        self._task: asyncio.Task[None] | None = None

    async def append(self, append: Append) -> list[Recorded]:
        """``Store.append_events`` of ``append``, in a transaction shared with whoever
        appends meanwhile: durable on return; a ``SequenceConflict`` fails only this one."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Recorded]] = loop.create_future()
        self._waiting.append((append, future))
        if self._task is None or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._commit(), name="group-commit")
        return await future

    async def _commit(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    outcomes = await asyncio.to_thread(
                        self.store.append_many, [append for append, _ in batch]
                    )
                except BaseException as error:  # every append of the transaction failed
                    if isinstance(error, asyncio.CancelledError):  # shutting down
                        for _, future in batch + self._waiting:
                            future.cancel()
                        raise
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                finally:
                    self.transactions += 1
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():  # its runner stopped waiting; the events are written
                        continue
                    if isinstance(outcome, SequenceConflict):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
        finally:
            self._task = None
