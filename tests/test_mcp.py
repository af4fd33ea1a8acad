"""`mem0cli mcp` through the MCP SDK's stdio client: in process, and on a running serve."""

from __future__ import annotations

import asyncio
import json

from mcp import ClientSession, StdioServerParameters, stdio_client

from tests.serving import PY, ROOT, Served, env_for

TOOLS = {"add_memory", "search_memories", "list_memories", "get_memory", "update_memory", "delete_memory",
         "delete_all_memories", "memory_history"}


def session_run(home, args, body):
    params = StdioServerParameters(command=PY, args=["-m", "tests.helpers.stand_in_cli", *args],
                                   env=env_for(home), cwd=str(ROOT))

    async def main():
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await body(session)

    return asyncio.run(main())


async def call(session, name, **arguments):
    result = await session.call_tool(name, arguments)
    text = result.content[0].text if result.content else ""
    return result.is_error, (text if result.is_error else json.loads(text))


async def exercise(session):
    tools = {t.name: t for t in (await session.list_tools()).tools}
    assert set(tools) == TOOLS
    for name in ("add_memory", "search_memories", "list_memories", "delete_all_memories"):
        properties = tools[name].input_schema["properties"]
        assert {"user_id", "agent_id", "run_id"} <= set(properties)
    assert "metadata" in tools["add_memory"].input_schema["properties"]
    assert "filters" in tools["search_memories"].input_schema["properties"]
    error, added = await call(session, "add_memory", messages="I live in Seattle", infer=False,
                              metadata={"room": "p1"})
    assert not error, added
    memory_id = added["results"][0]["id"]
    error, found = await call(session, "search_memories", query="where do I live", top_k=1)
    assert found["results"][0]["id"] == memory_id and found["results"][0]["user_id"] == "alice"
    assert found["results"][0]["agent_id"] == "claude"  # the command line's defaults
    _, listed = await call(session, "list_memories", filters={"room": "p1"})
    assert [r["id"] for r in listed["results"]] == [memory_id]
    _, other = await call(session, "list_memories", user_id="bob")
    assert other["results"] == []
    _, updated = await call(session, "update_memory", memory_id=memory_id, text="I live in Oslo")
    _, item = await call(session, "get_memory", memory_id=memory_id)
    assert item["memory"] == "I live in Oslo"
    _, history = await call(session, "memory_history", memory_id=memory_id)
    assert [e["event"] for e in history["results"]] == ["ADD", "UPDATE"]
    # bad arguments: a tool error naming the problem, nothing changed
    for name, arguments, says in [
        ("add_memory", {"messages": "x", "metadata": {"user_id": "evil"}}, "reserved"),
        ("search_memories", {"query": "x", "limit": 2, "top_k": 3}, "top_k"),
        ("search_memories", {"query": "x", "filters": {"room": {"regex": "."}}}, "regex"),
        ("get_memory", {"memory_id": "nope"}, "no memory"),
        ("delete_memory", {"memory_id": "nope"}, "no memory"),
    ]:
        error, text = await call(session, name, **arguments)
        assert error and says in text, (name, text)
    _, listed = await call(session, "list_memories")
    assert len(listed["results"]) == 1
    _, deleted = await call(session, "delete_memory", memory_id=memory_id)
    _, gone = await call(session, "delete_all_memories")
    _, listed = await call(session, "list_memories")
    return listed["results"]


def test_mcp_tools_in_process(isolated_home):
    assert session_run(isolated_home, ["mcp", "-u", "alice", "--agent-id", "claude"], exercise) == []


def test_mcp_tools_on_a_running_server(isolated_home):
    server = Served(isolated_home)
    try:
        assert session_run(isolated_home, ["mcp", "-u", "alice", "--agent-id", "claude"], exercise) == []
        assert server.http.get("/memories").json() == {"results": []}
    finally:
        assert server.stop() == 0
