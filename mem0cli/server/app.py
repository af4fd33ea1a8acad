"""The HTTP API: Mem0's server routes over one `Engine`, the same JSON as the Python API.

Routes (as Mem0's `server/main.py`): POST/GET/DELETE /memories, GET/PUT/DELETE
/memories/{id}, GET /memories/{id}/history, POST /search, POST /reset, and GET /health.
mem0cli's own, used by the CLI client: POST /messages (normalised transcript messages),
GET /ids/{prefix} (an id from its first characters), POST /cli (a read command run whole,
see `mem0cli.forward`). Errors are {"error": "...", "type":
"<mem0cli error class>"}: 400 bad input, 404 not found, 401 without the token, 422 a body
that does not fit the schema, 503 while shutting down. Bodies are checked before anything
is written, so a bad request never changes the store.
"""

from __future__ import annotations

import hmac
from typing import Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..errors import InputError, Mem0cliError, NotFoundError
from ..memory import now_iso
from ..models import Message
from ..validate import check_expiration, filter_from_json
from .engine import Engine

MAX_BODY = 16 * 1024 * 1024


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an argument name we do not know is refused, never ignored


class Scope(_Body):
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None


class AddRequest(Scope):
    messages: str | dict[str, Any] | list[Any] = Field(description="Text, one message, or a list of messages.")
    metadata: dict[str, Any] | None = None
    infer: bool = True
    memory_type: str | None = Field(None, description="Mem0 2.x; 'procedural_memory' is refused.")
    prompt: str | None = Field(None, description="Mem0 2.x; refused: the extractor takes no instructions.")
    expiration_date: str | None = Field(None, description="ISO date (kept through that day) or time.")


class MessageIn(_Body):
    role: str
    content: str
    name: str | None = None
    id: str | None = None
    created_at: str | None = None


class MessagesRequest(Scope):
    messages: list[MessageIn]
    metadata: dict[str, Any] | None = None
    infer: bool = True
    times_around: tuple[str | None, str | None] = (None, None)
    expiration_date: str | None = Field(None, description="ISO date (kept through that day) or time.")


class SearchRequest(Scope):
    query: str
    filters: dict[str, Any] | None = None
    limit: int | None = None
    top_k: int | None = Field(None, description="Mem0 2.x's name for limit.")
    threshold: float | None = None
    memory_type: Literal["fact", "message"] | None = None
    rerank: bool = Field(False, description="Mem0 2.x; true is refused (no reranker is configured).")
    explain: bool = False
    show_expired: bool = Field(False, description="Include memories past their expiration_date.")
    rank: dict[str, float] | None = Field(None, description="Ranker weights (mem0cli.ranking.RankSettings).")
    graph: bool | None = Field(None, description="Blend in the graph (None: the store's default).")


class Terminal(_Body):
    isatty: bool = False
    encoding: str = "utf-8"
    size: list[int] | None = Field(default=None, min_length=2, max_length=2)
    env: dict[str, str] = {}


class CommandRequest(_Body):
    argv: list[str] = Field(max_length=256)
    terminal: Terminal = Terminal()


class UpdateRequest(_Body):
    text: str | None = Field(None, description="The new text (Mem0's platform name).")
    data: str | None = Field(None, description="The new text (Mem0's Python API name).")


def _error(status: int, exc: Exception | str, kind: str = "InputError") -> JSONResponse:
    message = str(exc)
    return JSONResponse({"error": message, "type": type(exc).__name__ if isinstance(exc, Exception) else kind}, status)


def create_app(engine: Engine, *, token: str | None = None) -> FastAPI:
    """The FastAPI app over `engine`; with `token`, every route but /health needs `Authorization: Bearer`."""
    app = FastAPI(title="mem0cli", version=__version__, summary="An offline memory layer for LLM chat.")
    app.state.engine = engine
    app.state.draining = False

    @app.middleware("http")
    async def guard(request: Request, call_next):
        if app.state.draining:
            return _error(503, "the server is shutting down", "ServerError")
        if token is not None and _over_tcp(request):  # the unix socket is 0600: its peers are the owner
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return _error(401, "a bearer token is required (Authorization: Bearer <token>)", "AuthError")
        size = request.headers.get("content-length")
        if size and size.isdigit() and int(size) > MAX_BODY:
            return _error(413, f"the request body is larger than {MAX_BODY} bytes")
        return await call_next(request)

    @app.exception_handler(Mem0cliError)
    async def library_error(request: Request, exc: Mem0cliError):
        status = 404 if isinstance(exc, NotFoundError) else 400 if isinstance(exc, InputError) else 500
        return _error(status, exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):  # no route, wrong method
        return _error(exc.status_code, str(exc.detail), "InputError")

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception):  # no traceback or data in the answer
        return _error(500, f"unexpected {type(exc).__name__}", "ServerError")

    @app.exception_handler(RequestValidationError)
    async def schema_error(request: Request, exc: RequestValidationError):
        parts = []
        for err in exc.errors()[:3]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return _error(422, "; ".join(parts) or "the request does not fit the schema")

    @app.get("/health")
    async def health() -> dict[str, Any]:
        """Liveness, and which store this server serves."""
        return {"status": "ok", "store": engine.location, "version": __version__}

    @app.post("/memories")
    async def add_memory(body: AddRequest) -> dict[str, Any]:
        """Extract facts from messages and store them (`Memory.add`)."""
        return await engine.write("add", body.messages, **_scope(body), metadata=body.metadata,
                                  infer=body.infer, memory_type=body.memory_type, prompt=body.prompt,
                                  expiration_date=body.expiration_date)

    @app.post("/messages")
    async def add_messages(body: MessagesRequest) -> dict[str, Any]:
        """Store normalised messages (`Memory.add_messages`; the CLI reads transcripts itself)."""
        messages = [Message(**m.model_dump()) for m in body.messages]
        expires_at = check_expiration(body.expiration_date, now_iso())
        return await engine.write("add_messages", messages, scope=_scope(body), metadata=body.metadata,
                                  infer=body.infer, times_around=tuple(body.times_around), expires_at=expires_at)

    @app.get("/memories")
    async def get_all(
        user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None,
        filters: str | None = Query(None, description="A filter as JSON."),
        limit: int | None = None, top_k: int | None = None, show_expired: bool = False,
    ) -> dict[str, Any]:
        """Memories in a scope or filter, newest first (`Memory.get_all`)."""
        return await engine.read("get_all", user_id=user_id, agent_id=agent_id, run_id=run_id,
                                 filters=filter_from_json(filters, "filters"), limit=limit, top_k=top_k, show_expired=show_expired)

    @app.get("/memories/{memory_id}")
    async def get_memory(memory_id: str) -> dict[str, Any]:
        """One memory with its evidence (`Memory.get`)."""
        item = await engine.read("get", memory_id)
        if item is None:
            raise NotFoundError(f"no memory with id {memory_id}")
        return item

    @app.put("/memories/{memory_id}")
    async def update_memory(memory_id: str, body: UpdateRequest) -> dict[str, Any]:
        """Replace a memory's text (`Memory.update`); body {"text": ...} or {"data": ...}."""
        if body.text is not None and body.data is not None and body.text != body.data:
            raise InputError("give text or data (the same field), not both")
        text = body.text if body.text is not None else body.data
        if text is None:
            raise InputError("give the new text as text (or data)")
        return await engine.write("update", memory_id, text)

    @app.delete("/memories/{memory_id}")
    async def delete_memory(memory_id: str) -> dict[str, Any]:
        """Delete one memory (`Memory.delete`)."""
        return await engine.write("delete", memory_id)

    @app.get("/memories/{memory_id}/history")
    async def history(memory_id: str) -> list[dict[str, Any]]:
        """A memory's ADD / UPDATE / DELETE events, oldest first (`Memory.history`)."""
        return await engine.read("history", memory_id)

    @app.get("/ids/{prefix}")
    async def expand_id(prefix: str) -> dict[str, str]:
        """The full id of the one memory whose id starts with `prefix` (`Memory.expand_id`)."""
        return {"id": await engine.read("expand_id", prefix)}

    @app.post("/cli")
    async def command(body: CommandRequest) -> dict[str, Any]:
        """A CLI read command (search, list, get, history) run whole: its exit code, stdout and stderr."""
        return await engine.command(body.argv, body.terminal.model_dump())

    @app.post("/search")
    async def search(body: SearchRequest) -> dict[str, Any]:
        """The memories most relevant to a query, best first (`Memory.search`)."""
        return await engine.read(
            "search", body.query, **_scope(body), filters=body.filters, limit=body.limit, top_k=body.top_k,
            threshold=body.threshold, memory_type=body.memory_type, rerank=body.rerank, explain=body.explain,
            show_expired=body.show_expired, rank=body.rank, graph=body.graph,  # Memory.search checks the weights
        )

    @app.delete("/memories")
    async def delete_all(
        user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None,
        filters: str | None = Query(None, description="A filter as JSON."), dry_run: bool = False,
    ) -> dict[str, Any]:
        """Delete every memory in a scope or filter (`Memory.delete_all`); `dry_run` only counts."""
        return await engine.write("delete_all", user_id=user_id, agent_id=agent_id, run_id=run_id,
                                  filters=filter_from_json(filters, "filters"), dry_run=dry_run)

    @app.post("/reset")
    async def reset() -> dict[str, str]:
        """Delete everything in the store (`Memory.reset`)."""
        await engine.write("reset")
        return {"message": "All memories reset"}

    return app


def _over_tcp(request: Request) -> bool:
    server = request.scope.get("server")
    return server is not None and server[1] is not None


def _scope(body: Scope) -> dict[str, str | None]:
    return {"user_id": body.user_id, "agent_id": body.agent_id, "run_id": body.run_id}
