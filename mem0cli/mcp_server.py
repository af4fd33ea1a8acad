"""`mem0cli mcp`: the memory as tools for MCP clients (Claude Code, Cursor, Codex), over stdio.

Built on the official MCP Python SDK (`MCPServer`, FastMCP's name before mcp 2). The tools
call `Memory`'s methods through `AsyncMemory`, on a running `mem0cli serve` for the store when
one answers (nothing to load) and on an in-process `Memory` otherwise, whose models start
loading as soon as the server starts. Scope arguments left
out take the defaults given on the command line (`mem0cli mcp -u alice --agent-id claude`).
Bad arguments are tool errors naming the problem; the store is left as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from .async_memory import AsyncMemory
from .errors import Mem0cliError

Scope = Annotated[str | None, Field(description="Defaults to the server's --user-id / --agent-id / --run-id.")]
Filters = Annotated[
    dict[str, Any] | None, Field(description='Mem0 filter, e.g. {"AND": [{"room": "p42"}, {"user_id": "alice"}]}.')
]


def build(memory: AsyncMemory, defaults: dict[str, str | None]):
    """The MCP server with mem0cli's tools over `memory`."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    server = MCPServer("mem0cli", instructions="Long-term memory: facts from conversations, found by search.")

    def scope(user_id: str | None, agent_id: str | None, run_id: str | None) -> dict[str, str | None]:
        given = {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}
        if any(given.values()):
            return given
        return dict(defaults)

    async def call(name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return await getattr(memory, name)(*args, **kwargs)
        except Mem0cliError as exc:  # the message, never a traceback (memories are personal data)
            raise ToolError(str(exc)) from None

    @server.tool()
    async def add_memory(
        messages: Annotated[str | list[dict[str, Any]], Field(description="Text, or a list of {role, content} messages.")],
        user_id: Scope = None, agent_id: Scope = None, run_id: Scope = None,
        metadata: Annotated[dict[str, Any] | None, Field(description="JSON object stored with the memories.")] = None,
        infer: Annotated[bool, Field(description="Extract facts (true) or store each message as given.")] = True,
        expiration_date: Annotated[str | None, Field(description="ISO date (kept through that day) or time.")] = None,
    ) -> dict[str, Any]:
        """Remember: extract durable facts from messages and store them."""
        return await call("add", messages, **scope(user_id, agent_id, run_id), metadata=metadata, infer=infer,
                          expiration_date=expiration_date)

    @server.tool()
    async def search_memories(
        query: str, user_id: Scope = None, agent_id: Scope = None, run_id: Scope = None, filters: Filters = None,
        limit: Annotated[int | None, Field(description="Most results (default 10).")] = None,
        top_k: Annotated[int | None, Field(description="Mem0 2.x's name for limit.")] = None,
        threshold: Annotated[float | None, Field(description="Drop results below this cosine similarity.")] = None,
        show_expired: Annotated[bool, Field(description="Include memories past their expiration_date.")] = False,
    ) -> dict[str, Any]:
        """Find the facts and conversation turns most relevant to a query, best first."""
        return await call("search", query, **scope(user_id, agent_id, run_id), filters=filters, limit=limit,
                          top_k=top_k, threshold=threshold, show_expired=show_expired)

    @server.tool()
    async def list_memories(
        user_id: Scope = None, agent_id: Scope = None, run_id: Scope = None, filters: Filters = None,
        limit: Annotated[int | None, Field(description="Most memories (default 100).")] = None,
        top_k: Annotated[int | None, Field(description="Mem0 2.x's name for limit.")] = None,
        show_expired: Annotated[bool, Field(description="Include memories past their expiration_date.")] = False,
    ) -> dict[str, Any]:
        """List memories in a scope or filter, newest first."""
        return await call("get_all", **scope(user_id, agent_id, run_id), filters=filters, limit=limit, top_k=top_k,
                          show_expired=show_expired)

    @server.tool()
    async def get_memory(memory_id: str) -> dict[str, Any]:
        """One memory with the messages it came from."""
        item = await call("get", memory_id)
        if item is None:
            raise ToolError(f"no memory with id {memory_id}")
        return item

    @server.tool()
    async def update_memory(memory_id: str, text: str) -> dict[str, Any]:
        """Replace a memory's text; the old text stays in its history."""
        return await call("update", memory_id, text)

    @server.tool()
    async def delete_memory(memory_id: str) -> dict[str, Any]:
        """Forget one memory."""
        return await call("delete", memory_id)

    @server.tool()
    async def delete_all_memories(
        user_id: Scope = None, agent_id: Scope = None, run_id: Scope = None, filters: Filters = None,
    ) -> dict[str, Any]:
        """Forget every memory in a scope or filter (the defaults' scope when none is given)."""
        if filters and not any((user_id, agent_id, run_id)):
            return await call("delete_all", filters=filters)
        return await call("delete_all", **scope(user_id, agent_id, run_id), filters=filters)

    @server.tool()
    async def memory_history(memory_id: str) -> dict[str, Any]:
        """A memory's ADD / UPDATE / DELETE events, oldest first."""
        return {"results": await call("history", memory_id)}

    return server


def run(
    make_memory: Callable[[Path | None], Any], store: Path | None, *, defaults: dict[str, str | None],
    use_server: bool = True,
) -> None:
    """Serve the tools on stdin/stdout until the client closes them."""
    from .client import connect
    from .validate import check_scope

    check_scope(defaults.get("user_id"), defaults.get("agent_id"), defaults.get("run_id"))
    remote = connect(store) if use_server else None
    # a Memory opens nothing until used, and AsyncMemory uses it on its worker thread only
    memory = AsyncMemory(memory=remote if remote is not None else make_memory(store))
    if remote is None:
        memory.preload()  # in the background: the client's handshake does not wait for the models
    build(memory, defaults).run("stdio")
