"""A read command run whole by the store's `mem0cli serve`: the CLI's fastest path.

`mem0cli search/list/get/history` with a server running needs no model, Typer or rich
in the calling process: the argument list and a description of the terminal go to the
server, which runs the very same Typer command on its warm `Memory` and sends back the
exit code, stdout and stderr. The output is identical by construction (one renderer),
and the process costs little more than Python's start-up.

Anything else (writes, files, prompts, `--help`, `--no-server`) goes through the CLI in
this process, which may still use the server through `RemoteMemory`.
"""

from __future__ import annotations

import json
import os
import sys

#: Commands that only read the store and print: safe to run in the server, whole.
FORWARDED = frozenset({"search", "list", "get", "history"})
#: The environment rich reads to decide width, colour and terminal-ness.
TERMINAL_ENV = ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "TERM", "COLORTERM")
QUIET = ("-q", "--quiet")


def split_command(argv: list[str]) -> tuple[str | None, bool, list[str]] | None:
    """(--store value, quiet, the command's own arguments) for a forwardable read command, else None."""
    store, quiet, i = None, False, 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--store" and i + 1 < len(argv):
            store, i = argv[i + 1], i + 2
        elif arg.startswith("--store="):
            store, i = arg.split("=", 1)[1], i + 1
        elif arg in QUIET:
            quiet, i = True, i + 1
        else:
            break
    rest = argv[i:]
    if not rest or rest[0] not in FORWARDED or "--help" in rest:
        return None
    return store, quiet, rest


def describe_terminal() -> dict:
    """What rich would see here: stdout's tty-ness and encoding, the terminal size, its environment."""
    size = None
    for fd in (0, 1, 2):  # rich's order
        try:
            size = list(os.get_terminal_size(fd))
            break
        except (AttributeError, ValueError, OSError):
            continue
    try:
        isatty = sys.stdout.isatty()
    except ValueError:
        isatty = False
    return {
        "isatty": isatty,
        "encoding": getattr(sys.stdout, "encoding", None) or "utf-8",
        "size": size,
        "env": {k: os.environ[k] for k in TERMINAL_ENV if k in os.environ},
    }


def rich_environ(terminal: dict) -> dict[str, str]:
    """The environment that makes rich in the server size and colour output as in the caller's terminal."""
    env = {str(k): str(v) for k, v in terminal.get("env", {}).items() if k in TERMINAL_ENV}
    width, height = terminal.get("size") or (0, 0)
    if not env.get("COLUMNS", "").isdigit():
        env["COLUMNS"] = str(width or 80)
    if not env.get("LINES", "").isdigit():
        env["LINES"] = str(height or 25)
    return env


def forward(argv: list[str]) -> int | None:
    """Run `argv` in the store's server and print its output; None when it is not for the server or none answers."""
    command = split_command(argv)
    if command is None:
        return None
    store, quiet, rest = command
    from .client import SOCKET_NAME, UnixConnection
    from .config import server_home

    socket_path = server_home(store) / SOCKET_NAME
    if not socket_path.exists():
        return None
    body = json.dumps({"argv": (["-q"] if quiet else []) + rest, "terminal": describe_terminal()}).encode()
    conn = UnixConnection(str(socket_path), timeout=None)
    try:
        status, raw = conn.request("POST", "/cli", body, {"Content-Type": "application/json"})
    except (OSError, ValueError):
        return None  # no server behind the socket, or it went: nothing was done (these only read)
    finally:
        conn.close()
    if status != 200:
        return None  # shutting down (503), or a server without /cli: work in this process
    reply = json.loads(raw)
    try:
        sys.stdout.write(reply["stdout"])
        sys.stdout.flush()
    except BrokenPipeError:  # as the CLI does: quiet, exit 1
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    sys.stderr.write(reply["stderr"])
    return int(reply["exit_code"])
