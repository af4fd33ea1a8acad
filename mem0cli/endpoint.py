"""A chat model behind an OpenAI-compatible endpoint on this machine (Ollama, llama.cpp's server).

`MEM0CLI_LLM_URL` opts in: `http://127.0.0.1:11434/v1` (Ollama), `http://localhost:8080`
(llama.cpp's server), or a unix socket as `unix:/run/llm.sock`. Conversations are
personal data, so only loopback addresses and unix sockets are accepted unless
`MEM0CLI_LLM_ALLOW_REMOTE=1` says otherwise. The request carries the facts JSON schema
as `response_format`, so the server constrains its output with it.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
from typing import Any
from urllib.parse import unquote, urlsplit

from .client import connect_unix
from .errors import InputError, ModelError

URL_ENV = "MEM0CLI_LLM_URL"
ALLOW_REMOTE_ENV = "MEM0CLI_LLM_ALLOW_REMOTE"
_COMPLETIONS = "/chat/completions"


class _UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over an AF_UNIX socket (the Host header is nominal)."""

    def __init__(self, socket_path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = socket_path

    def connect(self) -> None:
        self.sock = connect_unix(self.socket_path, self.timeout)


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine without asking DNS: localhost or a loopback address."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _api_path(path: str) -> str:
    """The chat completions path for a base URL given with or without /v1 or the full path."""
    path = path.rstrip("/")
    if path.endswith(_COMPLETIONS):
        return path
    if path.endswith("/v1"):
        return path + _COMPLETIONS
    return path + "/v1" + _COMPLETIONS


class EndpointChatModel:
    """Chat completions from an OpenAI-compatible server, with a JSON schema for the reply.

    `url` is checked when the model is made: a host that is not this machine is an
    InputError unless `allow_remote`. A server that is down, slow past `timeout`
    seconds, answers an error or no message content raises ModelError.
    """

    def __init__(self, url: str, model: str | None = None, *, allow_remote: bool = False,
                 timeout: float = 120.0) -> None:
        self.url = url
        self.model = model or "default"
        self.model_id = f"{self.model}@endpoint"
        self.timeout = timeout
        parts = urlsplit(url)
        if parts.scheme == "unix":  # unix:/run/llm.sock or unix:///run/llm.sock
            self._socket_path: str | None = parts.path
            self._host, self._port, self._https, self._path = "localhost", None, False, _api_path("")
        elif parts.scheme == "http+unix":  # http+unix://%2Frun%2Fllm.sock/v1
            self._socket_path = unquote(parts.netloc)
            self._host, self._port, self._https, self._path = "localhost", None, False, _api_path(parts.path)
        elif parts.scheme in ("http", "https") and parts.hostname:
            self._socket_path = None
            self._host, self._https, self._path = parts.hostname, parts.scheme == "https", _api_path(parts.path)
            try:
                self._port = parts.port
            except ValueError as exc:
                raise InputError(f"{URL_ENV} has a bad port: {url}") from exc
            if not allow_remote and not is_loopback(self._host):
                raise InputError(
                    f"{URL_ENV} points at {self._host}, which is not this machine, so conversations would "
                    f"leave it; use a loopback address or a unix socket, or set {ALLOW_REMOTE_ENV}=1 to allow it"
                )
        else:
            raise InputError(f"{URL_ENV} must be an http(s):// URL or unix:/path/to.sock, not {url!r}")
        if self._socket_path == "":
            raise InputError(f"{URL_ENV} names no socket path: {url!r}")

    def _connection(self) -> http.client.HTTPConnection:
        if self._socket_path is not None:
            return _UnixHTTPConnection(self._socket_path, self.timeout)
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        return cls(self._host, self._port, timeout=self.timeout)

    def complete(self, messages: list[dict[str, str]], schema: dict[str, Any], *, max_tokens: int) -> str:
        """The reply's text for `messages`, the server asked to follow `schema`."""
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": max_tokens,
            "stream": False,
            "response_format": {"type": "json_schema",
                                "json_schema": {"name": "facts", "strict": True, "schema": schema}},
        }
        conn = self._connection()
        try:
            conn.request("POST", self._path, json.dumps(body).encode(), {"Content-Type": "application/json"})
            response = conn.getresponse()
            status, raw = response.status, response.read()
        except TimeoutError as exc:
            raise ModelError(f"the model endpoint {self.url} did not answer within {self.timeout:g} s") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise ModelError(f"the model endpoint {self.url} is not reachable: {exc} (is the server running?)") from exc
        finally:
            conn.close()
        if status != 200:
            snippet = raw[:200].decode("utf-8", errors="replace").replace("\n", " ")
            raise ModelError(f"the model endpoint {self.url} answered HTTP {status}: {snippet}")
        try:
            choice = json.loads(raw)["choices"][0]
            content = choice["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ModelError(f"the model endpoint {self.url} sent no chat completion") from exc
        if not isinstance(content, str):
            raise ModelError(f"the model endpoint {self.url} sent no message text")
        if choice.get("finish_reason") == "length":
            raise ModelError(f"the model at {self.url} ran out of tokens before finishing its fact list")
        return content
