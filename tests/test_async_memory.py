"""AsyncMemory: Memory's methods as coroutines that leave the event loop free."""

from __future__ import annotations

import asyncio
import inspect
import threading
import time

import pytest

from mem0cli import AsyncMemory, InputError, Memory
from mem0cli.async_memory import METHODS
from tests.fakes import FakeEmbedder, ScriptedExtractor


class SlowExtractor(ScriptedExtractor):
    def extract(self, messages, *, default_name=None):
        time.sleep(0.3)
        return super().extract(messages, default_name=default_name)


def test_every_method_is_a_coroutine_with_memorys_signature():
    for name in METHODS:
        method = getattr(AsyncMemory, name)
        assert inspect.iscoroutinefunction(method)
        assert inspect.signature(method) == inspect.signature(getattr(Memory, name))
        assert method.__doc__ == getattr(Memory, name).__doc__


def test_add_search_update_delete_through_await(isolated_home):
    async def main():
        extractor = ScriptedExtractor(['["Alice lives in Seattle"]'])
        async with AsyncMemory(isolated_home, embedder=FakeEmbedder(), extractor=extractor) as m:
            added = await m.add("I live in Seattle", user_id="alice")
            memory_id = added["results"][0]["id"]
            found = await m.search("where does alice live", user_id="alice", top_k=1)
            assert found["results"][0]["id"] == memory_id
            await m.update(memory_id, "Alice lives in Oslo")
            assert (await m.get(memory_id))["memory"] == "Alice lives in Oslo"
            assert [e["event"] for e in await m.history(memory_id)] == ["ADD", "UPDATE"]
            with pytest.raises(InputError, match="procedural_memory"):
                await m.add("x", user_id="alice", memory_type="procedural_memory")
            await m.delete(memory_id)
            assert (await m.get_all(user_id="alice"))["results"] == []

    asyncio.run(main())


def test_model_work_does_not_block_the_event_loop(isolated_home):
    async def main():
        m = AsyncMemory(isolated_home, embedder=FakeEmbedder(), extractor=SlowExtractor(['["A fact"]']))
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        await m.add("something", user_id="alice")
        task.cancel()
        await m.close()
        return ticks

    assert asyncio.run(main()) >= 10  # the loop kept ticking during a 0.3 s extraction


def test_calls_run_on_one_worker_thread_not_the_loop(isolated_home):
    seen = set()

    class Recording(FakeEmbedder):
        def embed_query(self, text):
            seen.add(threading.current_thread().name)
            return super().embed_query(text)

    async def main():
        m = AsyncMemory(isolated_home, embedder=Recording(), extractor=ScriptedExtractor())
        await m.add("tea", user_id="a", infer=False)
        await asyncio.gather(*(m.search("tea", user_id="a") for _ in range(5)))
        await m.close()

    asyncio.run(main())
    assert len(seen) == 1 and next(iter(seen)).startswith("mem0cli-async")


def test_preload_loads_the_models_on_the_worker_and_writes_nothing(isolated_home):
    seen = []

    class Recording(FakeEmbedder):
        def embed_query(self, text):
            seen.append(("embed", threading.current_thread().name))
            return super().embed_query(text)

    class RecordingExtractor(ScriptedExtractor):
        def extract(self, messages, *, default_name=None):
            seen.append(("extract", threading.current_thread().name))
            return super().extract(messages, default_name=default_name)

    m = AsyncMemory(isolated_home / "store", embedder=Recording(), extractor=RecordingExtractor())
    m.preload().result(timeout=30)
    assert [kind for kind, _ in seen] == ["embed", "extract"]
    assert all(name.startswith("mem0cli-async") for _, name in seen)
    assert not (isolated_home / "store").exists()  # models only: no store opened or created
    asyncio.run(m.close())
