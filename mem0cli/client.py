"""RemoteMemory: `Memory`'s methods answered by a running `mem0cli serve` over its unix socket.

The CLI uses it when the store's server answers, so a command pays no model load. It is
light on purpose (HTTP/1.1 written on an AF_UNIX socket; no torch, sentence-transformers,
lancedb or llama_cpp), and server errors come back as the same `Mem0cliError`
subclasses, so the CLI prints the same line and exits with the same code.
"""

from __future__ import annotations

import json
import logging
import socket
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from . import errors

logger = logging.getLogger("mem0cli")

SOCKET_NAME = "serve.sock"
_ERRORS = {cls.__name__: cls for cls in (
    errors.Mem0cliError, errors.InputError, errors.TranscriptError, errors.FilterError,
    errors.NotFoundError, errors.ModelError, errors.StoreError,
)}


class ServerGone(errors.Mem0cliError):
    """The server stopped answering (or is shutting down) during a command."""


class _HTTPError(OSError):
    """A reply that is not the HTTP/1.1 the server speaks."""


def connect_unix(path: str, timeout: float | None) -> socket.socket:
    """A stream socket connected to the unix socket at `path` (closed again if that fails)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        raise
    return sock


class UnixConnection:
    """HTTP/1.1 over the server's unix socket, kept open between requests.

    Written on the socket directly rather than with `http.client`, whose imports (email
    parsing, ssl) cost a warm CLI command 15-20 ms. It speaks just what uvicorn answers:
    a status line, headers, and a Content-Length or chunked body.
    """

    def __init__(self, path: str, timeout: float | None) -> None:
        self._path = path
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self._reader: Any = None

    def _connect(self) -> None:
        sock = connect_unix(self._path, self.timeout)
        self.sock, self._reader = sock, sock.makefile("rb")

    def request(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, bytes]:
        """Send one request and read its whole reply: (status, body)."""
        if self.sock is None:
            self._connect()
        assert self.sock is not None
        lines = [f"{method} {path} HTTP/1.1", "Host: localhost", f"Content-Length: {len(body or b'')}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
        status_line = self._reader.readline(65537)
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise _HTTPError(f"not an HTTP reply: {status_line[:40]!r}")
        reply_headers = self._headers()
        if reply_headers.get("transfer-encoding", "").lower() == "chunked":
            data = self._chunked()
        else:
            data = self._reader.read(int(reply_headers.get("content-length", "0")))
        if reply_headers.get("connection", "").lower() == "close":
            self.close()
        return int(parts[1]), data

    def _headers(self) -> dict[str, str]:
        headers = {}
        while True:
            line = self._reader.readline(65537)
            if not line:
                raise _HTTPError("the connection closed in the reply's headers")
            if line in (b"\r\n", b"\n"):
                return headers
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()

    def _chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self._reader.readline(65537).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self._headers()  # trailers
                return b"".join(chunks)
            chunks.append(self._reader.read(size))
            self._reader.readline(3)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
        if self.sock is not None:
            self.sock.close()
        self.sock, self._reader = None, None


class RemoteMemory:
    """The CLI's view of a `Memory` served by `mem0cli serve` (same methods, same results)."""

    def __init__(self, socket_path: Path, *, timeout: float | None = None) -> None:
        self.socket_path = Path(socket_path)
        self.path = self.socket_path.parent  # the store directory
        self._conn = UnixConnection(str(self.socket_path), timeout)

    # -- transport ---------------------------------------------------------
    def _request(self, method: str, path: str, body: Any = None, query: dict[str, Any] | None = None) -> Any:
        if query:
            kept = {k: _query_value(v) for k, v in query.items() if v is not None}
            path += "?" + urlencode(kept) if kept else ""
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        try:
            status, raw = self._conn.request(method, path, data, headers)
        except (OSError, ValueError) as exc:
            self._conn.close()
            raise ServerGone(f"the server at {self.socket_path} stopped answering ({exc})") from None
        payload = json.loads(raw) if raw else None
        if status >= 400:
            message = payload.get("error") if isinstance(payload, dict) else None
            kind = payload.get("type") if isinstance(payload, dict) else None
            cls = _ERRORS.get(kind or "", errors.InputError if status < 500 else errors.Mem0cliError)
            if status == 503:
                cls = ServerGone
            raise cls(message or f"the server answered {status}")
        return payload

    def health(self) -> dict[str, Any]:
        return self._request("GET", "/health")

    def _ensure_home(self) -> None:
        """The store directory exists: its server is running in it."""

    def close(self) -> None:
        self._conn.close()

    def wait_forever(self) -> None:
        """No timeout on answers from now on (an add with extraction may take minutes)."""
        self._conn.timeout = None
        if self._conn.sock is not None:
            self._conn.sock.settimeout(None)

    # -- Memory's methods ----------------------------------------------------
    def add(self, messages: Any, **kwargs: Any) -> dict[str, Any]:
        return self._request("POST", "/memories", {"messages": messages, **kwargs})

    def add_messages(self, messages: list, *, scope: dict, metadata: dict | None = None,
                     infer: bool = True, times_around: tuple = (None, None),
                     expires_at: str | None = None) -> dict[str, Any]:
        body = {
            "messages": [asdict(m) for m in messages], **scope, "metadata": metadata,
            "infer": infer, "times_around": list(times_around), "expiration_date": expires_at,
        }
        result = self._request("POST", "/messages", body)
        for warning in result.get("warnings", []):
            logger.warning(warning)  # as Memory.add_messages does in process
        return result

    def search(self, query: str, *, rank: Any = None, **kwargs: Any) -> dict[str, Any]:
        body = {"query": query, **kwargs, "rank": rank if rank is None or isinstance(rank, dict) else asdict(rank)}
        return self._request("POST", "/search", body)

    def get_all(self, **kwargs: Any) -> dict[str, Any]:
        return self._request("GET", "/memories", query=kwargs)

    def get(self, memory_id: str) -> dict[str, Any] | None:
        try:
            return self._request("GET", f"/memories/{_segment(memory_id)}")
        except errors.NotFoundError:
            return None

    def expand_id(self, prefix: str) -> str:
        return self._request("GET", f"/ids/{_segment(prefix)}")["id"]

    def history(self, memory_id: str) -> list[dict[str, Any]]:
        return self._request("GET", f"/memories/{_segment(memory_id)}/history")

    def update(self, memory_id: str, data: str) -> dict[str, Any]:
        return self._request("PUT", f"/memories/{_segment(memory_id)}", {"text": data})

    def delete(self, memory_id: str) -> dict[str, Any]:
        return self._request("DELETE", f"/memories/{_segment(memory_id)}")

    def delete_all(self, **kwargs: Any) -> dict[str, Any]:
        return self._request("DELETE", "/memories", query=kwargs)

    def reset(self) -> None:
        self._request("POST", "/reset")


def _segment(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise errors.InputError("memory id must be a non-empty string")
    return quote(value, safe="")


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def probe(socket_path: Path, timeout: float = 2.0) -> RemoteMemory | None:
    """A RemoteMemory for the server on `socket_path` if it answers /health, else None."""
    if not socket_path.exists():
        return None
    remote = RemoteMemory(socket_path, timeout=timeout)
    try:
        remote.health()
    except errors.Mem0cliError:
        remote.close()
        return None
    remote.wait_forever()  # a long add may take minutes; the socket is local
    return remote


def connect(store: str | Path | None) -> RemoteMemory | None:
    """The running server of the store (`--store` directory or URL, $MEM0CLI_STORE_URL,
    $MEM0CLI_HOME, the XDG default), if any."""
    from .config import server_home

    return probe(server_home(store) / SOCKET_NAME)
