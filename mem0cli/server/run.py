"""Starting, stopping and finding `mem0cli serve` for a store.

The server listens on `serve.sock` in the store directory (a team store's: `config.server_home`;
mode 0600), and on TCP too
with `--host/--port`. It records itself in `serve.json` (pid, socket, address) so
`serve --status` and `serve --stop` find it. SIGTERM or SIGINT: while the writes in flight
finish, the sockets stay open and every new request gets 503; then uvicorn closes them, lets
the remaining requests finish, and the process exits 0.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from ..config import server_home
from ..errors import InputError, StoreError

SOCKET_NAME = "serve.sock"
STATE_NAME = "serve.json"
TOKEN_NAME = "serve.token"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_state(home: Path) -> dict[str, Any] | None:
    """The running server's record, or None when there is none or its process is gone."""
    try:
        state = json.loads((home / STATE_NAME).read_text())
        pid = int(state["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, another user's
    return state


def load_token(home: Path, token_file: Path | None) -> tuple[str, Path]:
    """The bearer token from `token_file`, else one generated and stored 0600 in the store."""
    if token_file is not None:
        try:
            token = token_file.read_text().strip()
        except OSError as exc:
            raise InputError(f"cannot read --token-file {token_file}: {exc.strerror}") from None
        if len(token) < 16:
            raise InputError(f"the token in {token_file} is shorter than 16 characters")
        return token, token_file
    path = home / TOKEN_NAME
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    os.chmod(path, 0o600)
    return token, path


def _unix_socket(path: Path) -> socket.socket:
    """A listening socket at `path`, readable and writable by its owner only (0600)."""
    if path.exists() or path.is_symlink():
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink()  # left behind by a server that was killed
        else:
            raise StoreError(f"a server is already listening on {path}")
        finally:
            probe.close()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _tcp_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise StoreError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


def serve(
    make_memory: Callable[[Path | None], Any],
    store: Path | None,
    *,
    host: str | None = None,
    port: int = 8765,
    token_file: Path | None = None,
    say: Callable[[str], None] = lambda line: None,
) -> None:
    """Load the engine, listen, and serve until SIGTERM or SIGINT."""
    import uvicorn

    from .app import create_app
    from .engine import Engine

    engine = Engine(make_memory, store)
    home = server_home(store)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)  # a team store's server has a directory of its own
    engine.create_store()
    running = read_state(home)
    if running:
        raise StoreError(f"a server is already running for {home} (pid {running['pid']})")
    token = None
    if host is not None and (token_file is not None or not is_loopback(host)):
        token, where = load_token(home, token_file)
        say(f"mem0cli: bearer token in {where}")
    sockets = [_unix_socket(home / SOCKET_NAME)]
    if host is not None:
        sockets.append(_tcp_socket(host, port))
    try:
        say("mem0cli: loading models")
        engine.warm_up()
        app = create_app(engine, token=token)

        class Server(uvicorn.Server):
            def handle_exit(self, sig: int, frame: Any) -> None:
                """New requests get 503 while the writes in flight finish; then uvicorn stops (a second signal: now)."""
                if app.state.draining:
                    super().handle_exit(sig, frame)
                    return
                app.state.draining = True
                threading.Thread(target=self._exit_after_writes, args=(sig, frame), daemon=True).start()

            def _exit_after_writes(self, sig: int, frame: Any) -> None:
                while engine.writes_in_flight:
                    time.sleep(0.02)
                uvicorn.Server.handle_exit(self, sig, frame)

        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False,
                                timeout_graceful_shutdown=None)
        server = Server(config)
        _write_state(home, {
            "pid": os.getpid(), "socket": str(home / SOCKET_NAME), "host": host,
            "port": port if host is not None else None, "token_file": str(where) if token else None,
            "started_at": time.time(),
        })
        where_text = f"{home / SOCKET_NAME}" + (f" and http://{host}:{port}" if host is not None else "")
        say(f"mem0cli: serving {engine.location} on {where_text}")
        # uvicorn re-raises the signal it stopped for once it is done: exit 0 instead
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: None)
        server.run(sockets=sockets)
    finally:
        for sock in sockets:
            sock.close()
        engine.close()
        with suppress(FileNotFoundError):
            (home / SOCKET_NAME).unlink()
        state = read_state(home)
        if state is None or state.get("pid") == os.getpid():  # the record goes last: then it is done
            with suppress(FileNotFoundError):
                (home / STATE_NAME).unlink()
    say("mem0cli: stopped")


def _write_state(home: Path, state: dict[str, Any]) -> None:
    tmp = home / (STATE_NAME + ".tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(state, f)
    os.replace(tmp, home / STATE_NAME)


def status(home: Path) -> dict[str, Any] | None:
    """The running server's record if it answers /health, else None."""
    from ..client import probe

    state = read_state(home)
    if state is None or not probe(Path(state["socket"])):
        return None
    return state


def stop(home: Path, timeout: float = 120.0) -> int | None:
    """SIGTERM the store's server and wait for it to exit; its pid, or None if none ran."""
    state = read_state(home)
    if state is None:
        return None
    pid = int(state["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        if _reaped(pid) or not (home / STATE_NAME).exists():  # its record goes once it is done
            return pid
        time.sleep(0.05)
    raise StoreError(f"the server (pid {pid}) did not stop within {timeout:.0f} s")


def _reaped(pid: int) -> bool:
    """True when `pid` is our own child that has exited (a zombie until reaped)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == pid
