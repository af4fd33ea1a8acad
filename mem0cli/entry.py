"""The `mem0cli` command: a read command goes whole to the store's server when one runs, the rest to the CLI."""

from __future__ import annotations

import sys


def main() -> None:
    """Console-script entry point (see `forward` for the server path, `cli` for everything else)."""
    from .forward import forward

    code = forward(sys.argv[1:])
    if code is None:
        from .cli import main as cli_main

        cli_main()
    sys.exit(code)
