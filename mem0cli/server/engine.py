"""Engine: one store served to many callers, with the models loaded once.

A `Memory`'s SQLite connection belongs to the thread that opened it, so the engine
keeps one `Memory` per thread, all sharing one embedder and one extractor:

- reads (search, get, get_all, history, id lookups) run on two reader threads,
  concurrently, each with its own `Memory`;
- writes run one at a time on a single writer thread (the process-local lock), and
  inside it the store's write lock keeps them in turn with CLI processes writing to the
  same store;
- when no write has come for a while, the writer repairs the index (`Memory.repair`): a
  search never writes, so what a killed CLI writer left unindexed is finished here.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from ..memory import Memory
from ..models import Message

READS = frozenset({"search", "get", "get_all", "history", "expand_id"})
WRITES = frozenset({"add", "add_messages", "update", "delete", "delete_all", "reset"})
READER_THREADS = 2
#: Seconds without a write after which the writer repairs the index (if it needs it).
IDLE_REPAIR_SECONDS = 30.0


class _Workers:
    """Threads that each own one `Memory` and take calls from one queue."""

    def __init__(self, memories: list[Memory], name: str) -> None:
        self._queue: queue.Queue[tuple[Future, Callable[[Memory], Any]] | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._loop, args=(m,), name=f"{name}-{i}", daemon=True)
            for i, m in enumerate(memories)
        ]
        for thread in self._threads:
            thread.start()

    def _loop(self, memory: Memory) -> None:
        while (item := self._queue.get()) is not None:
            future, call = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(call(memory))
                except BaseException as exc:  # handed to the caller, who maps it
                    future.set_exception(exc)
        memory.close()

    def submit(self, call: Callable[[Memory], Any]) -> Future:
        future: Future = Future()
        self._queue.put((future, call))
        return future

    def close(self) -> None:
        """Finish what is queued, then close each Memory on its own thread."""
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()


class Engine:
    """Runs `Memory` methods for the server: reads concurrently, writes in turn."""

    def __init__(self, make_memory: Callable[[Path | None], Memory], store: Path | None = None) -> None:
        self.memory = make_memory(store)  # the writer's; its parts are shared by the readers
        self.location = self.memory.store.location  # the store directory, or the team store's URL without password
        self._writer = _Workers([self.memory], "mem0cli-writer")
        self._reader_memories = [self.memory.sibling() for _ in range(READER_THREADS)]
        self._readers = _Workers(self._reader_memories, "mem0cli-reader")
        self.writes_in_flight = 0
        self._last_write = time.monotonic()
        self._stopping = threading.Event()
        self._idle = threading.Thread(target=self._repair_when_idle, name="mem0cli-idle", daemon=True)
        self._idle.start()

    def _repair_when_idle(self) -> None:
        """Every IDLE_REPAIR_SECONDS without a write, the writer thread repairs the index
        unless another process is writing (never waits for it)."""
        while not self._stopping.wait(IDLE_REPAIR_SECONDS):
            if self.writes_in_flight or time.monotonic() - self._last_write < IDLE_REPAIR_SECONDS:
                continue
            try:
                self._writer.submit(lambda m: m.repair(wait=False)).result()
            except Exception:  # noqa: BLE001 - a failed repair is retried next time; writes repair too
                pass

    def create_store(self) -> None:
        """Make (or migrate) the store, on the writer thread that owns its connection."""
        self._writer.submit(lambda m: m.store.create()).result()

    def warm_up(self, extractor: bool = True) -> None:
        """Open the stores and load the models now, so the first request is fast."""

        def writer(m: Memory) -> None:
            m.store.create()  # the visible open step: makes (or migrates) the store
            m.embedder.embed_query("warm up")
            m.embedder.embed_documents([f"warm up {i}" for i in range(17)])  # past the numpy batch: torch
            m.store.check_model(m.embedder.model_id)
            m.repair()
            if extractor:
                m.extractor.extract([Message(role="user", content="I live in Seattle.")], default_name="warm")

        self._writer.submit(writer).result()
        # each reader thread takes one of these calls (the barrier holds the first until the second is taken)
        barrier = threading.Barrier(READER_THREADS)

        def reader(m: Memory) -> None:
            barrier.wait(timeout=60)
            m.get_all(limit=1)
            if not m.store.is_empty():
                m.search("warm up", limit=1)

        for future in [self._readers.submit(reader) for _ in range(READER_THREADS)]:
            future.result()

    async def read(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if name not in READS:
            raise ValueError(f"{name} is not a read")
        return await asyncio.wrap_future(self._readers.submit(lambda m: getattr(m, name)(*args, **kwargs)))

    async def command(self, argv: list[str], terminal: dict[str, Any]) -> dict[str, Any]:
        """A forwarded CLI read command, run on a reader's `Memory` (see `commands.run_command`)."""
        from .commands import run_command

        return await asyncio.wrap_future(self._readers.submit(lambda m: run_command(m, argv, terminal)))

    async def write(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if name not in WRITES:
            raise ValueError(f"{name} is not a write")
        self.writes_in_flight += 1
        try:
            return await asyncio.wrap_future(self._writer.submit(lambda m: getattr(m, name)(*args, **kwargs)))
        finally:
            self.writes_in_flight -= 1
            self._last_write = time.monotonic()

    def close(self) -> None:
        """Finish queued work, then close every Memory on the thread that owns it."""
        self._stopping.set()
        self._idle.join()
        self._readers.close()
        self._writer.close()
