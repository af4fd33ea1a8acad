"""A real `mem0cli serve` in a subprocess (the stand-in embedder, no torch), and an HTTP client on its socket."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, MEM0CLI_HOME=str(home), PYTHONPATH=str(ROOT), **extra)
    env.pop("NO_COLOR", None)
    return env


def cli(home: Path, *args: str, input: str | None = None, **env: str) -> subprocess.CompletedProcess:
    """`mem0cli` with the stand-in embedder, as a process of its own (`env`: more variables)."""
    return subprocess.run(
        [PY, "-m", "tests.helpers.stand_in_cli", *args], input=input, capture_output=True, text=True,
        cwd=ROOT, env=env_for(home, **env), timeout=120,
    )


class Served:
    """A running `mem0cli serve` and an httpx client on its unix socket."""

    def __init__(self, home: Path, *args: str, socket: Path | None = None, **env: str) -> None:
        self.home = home
        self.socket = socket or home / "serve.sock"
        self.proc = subprocess.Popen(
            [PY, "-m", "tests.helpers.stand_in_cli", "serve", *args], cwd=ROOT, env=env_for(home, **env),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.http = httpx.Client(transport=httpx.HTTPTransport(uds=str(self.socket)), base_url="http://mem0cli",
                                 timeout=60)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited {self.proc.returncode}: {self.proc.stderr.read()}")
            try:
                if self.http.get("/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError("serve did not start")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=60)
        finally:
            self.http.close()
        return code
