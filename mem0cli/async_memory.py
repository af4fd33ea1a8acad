"""AsyncMemory: `Memory`'s methods as coroutines, for asyncio apps (`await m.add(...)`).

One implementation, two faces: each coroutine runs the same `Memory` method on a worker
thread, so model work never blocks the event loop. The worker is one dedicated thread
per AsyncMemory, because a `Memory`'s SQLite connection belongs to the thread that opened
it; calls on one AsyncMemory therefore run one at a time, in the order they were awaited.
"""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from .memory import Memory
from .models import Message

#: The methods of `Memory` that AsyncMemory offers as coroutines.
METHODS = (
    "add", "search", "get", "get_all", "history", "update", "delete", "delete_all", "reset", "stats",
)


class AsyncMemory:
    """A local memory store with Mem0's `AsyncMemory` API.

    >>> m = AsyncMemory(path="/tmp/mem")                         # doctest: +SKIP
    >>> await m.add("I live in Seattle", user_id="alice")        # doctest: +SKIP
    >>> await m.search("where do I live", user_id="alice")       # doctest: +SKIP

    Takes the same arguments as `Memory`, or an existing one: `AsyncMemory(memory=m)`
    (which is then used only from AsyncMemory's worker thread).
    """

    def __init__(self, path: Any = None, *, memory: Memory | None = None, **parts: Any) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mem0cli-async")
        # built on the worker thread, the thread its SQLite connection will belong to
        self.memory = memory or self._executor.submit(lambda: Memory(path, **parts)).result()

    @classmethod
    def from_config(cls, config: dict[str, Any] | None = None) -> AsyncMemory:
        """Mem0-style construction (see `Memory.from_config`)."""
        return cls(memory=Memory.from_config(config))

    async def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        method = getattr(self.memory, name)
        return await loop.run_in_executor(self._executor, functools.partial(method, *args, **kwargs))

    def preload(self) -> Future:
        """Start loading the models on the worker thread and return at once, so the first call waits less."""

        def load() -> None:
            self.memory.embedder.embed_query("warm up")
            self.memory.extractor.extract([Message(role="user", content="I live in Seattle.")], default_name="warm")

        return self._executor.submit(load)

    async def close(self) -> None:
        """Close the store and stop the worker thread."""
        await self._call("close")
        self._executor.shutdown(wait=True)

    async def __aenter__(self) -> AsyncMemory:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _coroutine(name: str):
    @functools.wraps(getattr(Memory, name))
    async def method(self: AsyncMemory, *args: Any, **kwargs: Any) -> Any:
        return await self._call(name, *args, **kwargs)

    return method


for _name in METHODS:
    setattr(AsyncMemory, _name, _coroutine(_name))
