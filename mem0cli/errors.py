"""Errors raised by the library; the CLI maps them to exit codes in one place."""

from __future__ import annotations

import json


class Mem0cliError(Exception):
    """Base class: a runtime failure (CLI exit code 1)."""

    exit_code = 1


class InputError(Mem0cliError, ValueError):
    """Bad input from the caller: a transcript, filter, id or option (exit code 2)."""

    exit_code = 2


class TranscriptError(InputError):
    """A transcript that cannot be read; the message names the line or record."""


class FilterError(InputError):
    """A filter that does not parse or uses an unknown operator."""


class NotFoundError(InputError):
    """No memory with the given id (in the given scope)."""


class EntityNotFoundError(Mem0cliError):
    """No graph entity answers to the given name in the scope (exit code 1: a lookup that
    found nothing, as grep's)."""


class ModelError(Mem0cliError):
    """A model file or package that is missing or unusable; names the setting to fix."""


class StoreError(Mem0cliError):
    """The store is damaged, locked or inconsistent."""


def json_problem(exc: ValueError | RecursionError) -> str:
    """What is wrong with a JSON text, with the column: "Expecting ':' delimiter (column 12)"."""
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg.removesuffix(' at')} (column {exc.colno})"  # "Invalid control character at"
    return "nested too deeply or a number too long"
