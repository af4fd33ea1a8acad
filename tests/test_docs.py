"""The documentation stays true: help text, completions, README commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from mem0cli.cli import app

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ("add", "search", "list", "get", "history", "forget", "export", "import", "stats", "compact", "doctor", "reindex", "migrate")


def test_every_command_has_help_with_an_example():
    runner = CliRunner()
    for command in COMMANDS:
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0, command
        assert "Example:" in result.output, command


def test_completion_scripts_are_current():
    for shell in ("bash", "zsh", "fish"):
        env = {**os.environ, "_MEM0CLI_COMPLETE": f"source_{shell}"}
        generated = subprocess.run(
            [sys.executable, "-c", "from mem0cli.cli import main; main()"],
            env=env, capture_output=True, text=True,
        ).stdout
        assert generated.strip(), shell
        assert (ROOT / "completions" / f"mem0cli.{shell}").read_text().strip() == generated.strip(), shell


def test_readme_names_the_ci_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    test_line = next(line for line in ci.splitlines() if "pytest" in line).strip()
    assert test_line in readme
    for command in COMMANDS:
        assert f"mem0cli {command}" in readme, command
