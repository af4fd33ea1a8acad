"""Read commands the CLI hands over whole (see `mem0cli.forward`), run by the same Typer app on a warm Memory."""

from __future__ import annotations

import io
import threading
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

from .. import cli, forward
from ..errors import InputError

#: The CLI's options and sys.stdout are the process's: one forwarded command at a time.
_ONE_AT_A_TIME = threading.Lock()


class _Output(io.StringIO):
    """A captured stream that answers `isatty()` and `encoding` as the caller's stdout would."""

    def __init__(self, isatty: bool = False, encoding: str = "utf-8") -> None:
        super().__init__()
        self._isatty = bool(isatty)
        self._encoding = str(encoding)

    def isatty(self) -> bool:
        return self._isatty

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding


def run_command(memory: Any, argv: list[str], terminal: dict[str, Any]) -> dict[str, Any]:
    """Run a forwarded read command on `memory`: its exit code and what it printed."""
    command = forward.split_command(argv)
    if command is None or command[0] is not None:
        raise InputError(f"only {', '.join(sorted(forward.FORWARDED))} run in the server, without --store or --help")
    _, quiet, rest = command
    out = _Output(terminal.get("isatty", False), terminal.get("encoding") or "utf-8")
    err = _Output()
    with _ONE_AT_A_TIME:
        saved = (cli.state.make_memory, cli.state.connect, cli.state.environ)
        cli.state.make_memory = lambda store: memory
        cli.state.connect = lambda store: None
        cli.state.environ = forward.rich_environ(terminal)
        try:
            with redirect_stdout(out), redirect_stderr(err):
                code = cli.run((["-q"] if quiet else []) + rest)
        finally:
            cli.state.make_memory, cli.state.connect, cli.state.environ = saved
    return {"exit_code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}
