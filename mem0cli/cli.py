"""The command line: parse options, make one Memory call, render a table or --json.

Errors from the library become one line on stderr: exit 1 for a runtime failure,
exit 2 for bad usage or input. No tracebacks: memories are personal data.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer

from . import __version__
from .errors import InputError, Mem0cliError, NotFoundError, StoreError

app = typer.Typer(
    name="mem0cli",
    help="An offline memory layer for LLM chat: facts from transcripts, found again by search.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=True,
)

F = TypeVar("F", bound=Callable[..., Any])

UserOpt = Annotated[Optional[str], typer.Option("--user-id", "-u", help="Scope: the user.")]
AgentOpt = Annotated[Optional[str], typer.Option("--agent-id", help="Scope: the agent.")]
RunOpt = Annotated[Optional[str], typer.Option("--run-id", help="Scope: the run (session).")]
FilterOpt = Annotated[
    Optional[str],
    typer.Option("--filter", "-f", help='Filter as JSON, e.g. \'{"AND": [{"room": "p42"}, {"user_id": "alice"}]}\'.'),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (the Python API's shape) to stdout.")]
ShowExpiredOpt = Annotated[bool, typer.Option("--show-expired", help="Include memories past their expiration date.")]


def open_memory(store: str | Path | None):
    """The one place the CLI chooses its parts: the real models and stores (a directory or a
    postgresql:// URL)."""
    from .memory import Memory

    return Memory(path=store)


def connect_server(store: str | Path | None):
    """The store's running `mem0cli serve` as a RemoteMemory, or None when none answers."""
    from .client import connect

    return connect(store)


class State:
    """Global options, shared by every command, and the Memory factories."""

    store: str | Path | None = None
    quiet: bool = False
    no_server: bool = False
    make_memory: Callable[[Path | None], Any] = staticmethod(open_memory)
    connect: Callable[[Path | None], Any] = staticmethod(connect_server)
    #: The caller's terminal environment when the server runs a command for it (see `forward`).
    environ: dict[str, str] | None = None


state = State()


def handled(func: F) -> F:
    """Turn library errors into one line on stderr and the right exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            _check_utf8(kwargs)
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except typer.Abort:  # Ctrl-C or end of input at a confirmation prompt: nothing done
            _error("aborted, nothing changed")
            raise typer.Exit(1) from None
        except Mem0cliError as exc:
            _error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            _error("interrupted")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(1) from None
        except Exception as exc:  # a bug: say what, without locals or personal data
            _error(f"unexpected {type(exc).__name__}: {exc}")
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _check_utf8(arguments: dict[str, Any]) -> None:
    """Arguments that were not valid UTF-8 on the command line (lone surrogates) are bad input."""
    for name, value in arguments.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    raise InputError(f"{name.replace('_', '-')} is not valid UTF-8") from None


def _error(message: str) -> None:
    first = message.strip().splitlines()[0] if message.strip() else "error"
    sys.stderr.write(f"mem0cli: error: {first}\n")


def _info(message: str) -> None:
    if not state.quiet:
        sys.stderr.write(message + "\n")


def _memory(local: bool = False, existing: bool = False):
    """The store's running server when one answers (unless `local` or --no-server), else a
    Memory; `existing` (a read): StoreError, exit 1, when there is no store to read."""
    if not local and not state.no_server:
        remote = state.connect(state.store)
        if remote is not None:
            return remote
    memory = state.make_memory(state.store)
    store = getattr(memory, "store", None)
    if existing and store is not None and not store.exists():
        raise StoreError(f"no store at {store.location}")
    return memory


def _fail_if_missing(memory: Any) -> None:
    """After a read has written its (empty) results: exit 1 saying there is no store, so a
    script learns of a wrong --store, and a pipe still gets well-formed output."""
    store = getattr(memory, "store", None)
    if store is not None and not store.exists():
        raise StoreError(f"no store at {store.location}")


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _console():
    from rich.console import Console

    env = state.environ if state.environ is not None else os.environ
    return Console(no_color=bool(env.get("NO_COLOR")) or None, soft_wrap=False, _environ=state.environ)


def _parse_filter(raw: str | None) -> dict | None:
    from .validate import filter_from_json

    return filter_from_json(raw, "--filter")


def _iso_time(value: str | None) -> str | None:
    """An ISO 8601 time as stored (UTC, milliseconds); a date alone means its midnight UTC."""
    if value is None:
        return None
    from datetime import datetime, timezone

    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"--since must be an ISO 8601 time such as 2025-01-31T12:00:00Z, not {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def _parse_metadata(pairs: list[str] | None) -> dict[str, Any]:
    """`key=value` and `key:=JSON` pairs (httpie's convention).

    `key=value` keeps the text, except a plain integer, decimal, true, false or null
    written exactly as JSON writes it ("42", "-1.5", "true"): that takes its JSON type.
    Anything else stays text as given ("007", "1.10", "1e3", "yes"). `key:=JSON` takes
    any JSON value: `n:=1.10`, `tags:='["a","b"]'`, `zip:='"02134"'`.
    """
    metadata: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        typed = key.endswith(":")
        key = key[:-1] if typed else key
        if not sep or not key.strip():
            raise InputError(f"--metadata takes key=value or key:=JSON, not {pair!r}")
        if key.strip() in metadata:
            raise InputError(f"--metadata gives key {key.strip()!r} twice")
        metadata[key.strip()] = _json_value(key.strip(), value) if typed else _plain_value(value)
    return metadata


def _json_value(key: str, value: str) -> Any:
    try:
        return json.loads(value, parse_constant=_not_json)
    except (json.JSONDecodeError, RecursionError):
        raise InputError(f"--metadata {key}:= needs a JSON value, not {value!r}") from None


def _not_json(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


def _plain_value(value: str) -> Any:
    """The value as text, or its JSON scalar when JSON writes that scalar exactly so."""
    try:
        parsed = json.loads(value, parse_constant=lambda name: name)  # NaN, Infinity: text
    except (json.JSONDecodeError, RecursionError):
        return value
    exact = isinstance(parsed, (int, float, bool)) or parsed is None
    return parsed if exact and json.dumps(parsed) == value else value


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr when it is a terminal (and not --quiet); a no-op otherwise."""
    if state.quiet or not sys.stderr.isatty() or total < 50:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def _history_id(memory, memory_id: str) -> str:
    """A full id for `history`: a deleted memory has history but no row, so only expand live ids."""
    try:
        return memory.expand_id(memory_id)
    except InputError:
        return memory_id


def _render_memories(
    items: list[dict], *, title: str, show_score: bool, explain: bool = False, query: str | None = None
) -> None:
    """A table of memories; a long text is a snippet around `query` (`get` shows it whole)."""
    from rich.markup import escape
    from rich.table import Table

    from .snippets import snippet

    def said_on(at: str | None) -> str | None:
        """The day of a stored ISO time ("8 May 2023"); items carry `said_on` for said times."""
        from datetime import datetime

        try:
            day = datetime.fromisoformat((at or "").replace("Z", "+00:00"))
        except ValueError:
            return None
        return f"{day.day} {day:%B} {day.year}"

    console = _console()
    if not items:
        console.print("No memories found.", style="dim")
        return
    table = Table(title=escape(title), show_lines=explain)
    if show_score:
        table.add_column("score", justify="right")
    table.add_column("memory", overflow="fold", ratio=1)
    table.add_column("said", no_wrap=True)
    table.add_column("id", no_wrap=True, style="dim")
    for item in items:
        said = item.get("said_on") or said_on(item.get("created_at")) or ""  # said when stored
        text = snippet(item["memory"], query)
        if item.get("memory_type") == "message":
            text = f"[turn] {item.get('speaker') or item.get('role')}: {text}"
        if item.get("superseded_by"):
            text += " (superseded)"
        if explain and item.get("explain"):
            text += "\n" + " ".join(f"{k}={v}" for k, v in item["explain"].items() if v is not None)
        cells = [f"{item['score']:.3f}"] if show_score else []
        table.add_row(*cells, escape(text), said, item["id"][:8])  # "[turn]", "[shares a photo: …]" are text
    console.print(table)


# -- global options ----------------------------------------------------------
def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"mem0cli {__version__}\n")
        raise typer.Exit()


@app.callback()
def main_options(
    store: Annotated[
        Optional[str],
        typer.Option("--store", envvar=["MEM0CLI_STORE_URL", "MEM0CLI_HOME"], help="Store directory (default: $MEM0CLI_HOME, else the XDG data dir), or a postgresql:// URL: the team store ($MEM0CLI_STORE_URL, which wins over $MEM0CLI_HOME)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary on stderr.")] = False,
    no_server: Annotated[bool, typer.Option("--no-server", help="Work in this process even when `mem0cli serve` runs for the store.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")] = False,
) -> None:
    """mem0cli: turn chat transcripts into durable facts and search them, fully offline."""
    state.store = store
    state.quiet = quiet
    state.no_server = no_server


# -- commands ----------------------------------------------------------------
@app.command()
@handled
def add(
    text: Annotated[Optional[str], typer.Argument(help="A message to remember; omit (or -) to read a transcript from stdin.")] = None,
    user_id: UserOpt = None,
    agent_id: AgentOpt = None,
    run_id: RunOpt = None,
    metadata: Annotated[Optional[list[str]], typer.Option("--metadata", "-m", help="key=value (a number, true, false or null keeps its type), or key:=JSON for any JSON value; repeatable.")] = None,
    no_infer: Annotated[bool, typer.Option("--no-infer", help="Store each message as it is, without extraction.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="Transcript format: auto, messages, jsonl, text, openai, chatgpt, claude, librechat, chatbot-ui, whatsapp.")] = "auto",
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Skip and count malformed records instead of stopping.")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted add of the same input from its checkpoint.")] = False,
    expiration_date: Annotated[Optional[str], typer.Option("--expiration-date", help="Leave search, list and export after this ISO date (kept through that day) or time; --show-expired shows them.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Extract facts from a message or a transcript and store them.

    The transcript format is detected (see --format). Plain text with no
    "user:" / "assistant:" line is one user message, as if given as the
    argument; with such lines, each starts a message. A summary on stderr
    says how many turns were kept and facts added, updated or unchanged.

    Example: cat chat.json | mem0cli add -u alex
    """
    from .ingest import ingest, input_digest
    from .memory import now_iso
    from .transcripts import FORMATS, read_transcript
    from .validate import check_expiration, check_metadata, check_scope

    scope = check_scope(user_id, agent_id, run_id, required=True)
    meta = _parse_metadata(metadata)
    expires_at = check_expiration(expiration_date, now_iso())
    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}")
    if text is not None and text != "-":
        data: str | bytes = json.dumps([{"role": "user", "content": text}])
        fmt = "messages"
    else:
        if sys.stdin.isatty():
            raise InputError("no input: give a message as an argument or pipe a transcript to stdin")
        data = sys.stdin.buffer.read()
    read = read_transcript(data, fmt, skip_bad=skip_bad)
    total = sum(len(c.messages) for c in read.conversations)
    with _progress(total, "adding messages") as advance:
        summary = ingest(
            _memory(), read.conversations, scope=scope, metadata=check_metadata(meta), infer=not no_infer,
            digest=input_digest(data, scope, not no_infer), resume=resume, on_progress=advance, expires_at=expires_at,
        )
    summary.skipped_records = read.skipped
    for warning in summary.warnings:
        _info(f"mem0cli: warning: {warning}")
    if as_json:
        _print_json({"results": summary.results, "summary": {k: v for k, v in vars(summary).items() if k != "results"}})
    _info(f"{summary.line()} ({read.format})")


@app.command()
@handled
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    user_id: UserOpt = None,
    agent_id: AgentOpt = None,
    run_id: RunOpt = None,
    filter_json: FilterOpt = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="Most results to return.")] = 10,
    threshold: Annotated[Optional[float], typer.Option("--threshold", help="Drop results whose cosine similarity to the query is below this.")] = None,
    memory_type: Annotated[Optional[str], typer.Option("--memory-type", "-t", help="Only facts (fact) or only conversation turns (message).")] = None,
    explain: Annotated[bool, typer.Option("--explain", help="Show the parts of each score.")] = False,
    freshness_weight: Annotated[float, typer.Option(help="Boost for recently updated memories (0 turns it off).")] = 0.1,
    half_life: Annotated[float, typer.Option(help="Days after which the freshness boost halves.")] = 90.0,
    confirmation_weight: Annotated[float, typer.Option(help="Boost per doubling of a fact's confirmations.")] = 0.05,
    keyword_weight: Annotated[float, typer.Option(help="Weight of keyword (BM25) ranks in the fusion.")] = 1.0,
    graph: Annotated[Optional[bool], typer.Option("--graph/--no-graph", help="Blend in the graph: entities the query names pull in their related memories (default: MEM0CLI_GRAPH, on).")] = None,
    show_expired: ShowExpiredOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Find the facts and conversation turns most relevant to a query.

    Example: mem0cli search "where do I live" -u alice --explain
    """
    settings = {  # RankSettings' fields (a dict: the client path does not load the ranker)
        "freshness_weight": freshness_weight, "half_life_days": half_life,
        "confirmation_weight": confirmation_weight, "keyword_weight": keyword_weight,
    }
    filters = _parse_filter(filter_json)
    memory = _memory()
    result = memory.search(
        query, user_id=user_id, agent_id=agent_id, run_id=run_id, filters=filters,
        limit=limit, threshold=threshold, memory_type=memory_type, rank=settings, explain=explain,
        **({} if graph is None else {"graph": graph}), show_expired=show_expired,
    )
    if as_json:
        _print_json(result)
    else:
        _render_memories(
            result["results"], title=f"search: {query}", show_score=True, explain=explain, query=query
        )
    _fail_if_missing(memory)


@app.command("graph")
@handled
def graph_(
    entity: Annotated[Optional[str], typer.Argument(help="A name or alias (any case); none: the whole graph.")] = None,
    user_id: UserOpt = None,
    agent_id: AgentOpt = None,
    run_id: RunOpt = None,
    depth: Annotated[int, typer.Option("--depth", "-d", help="Hops from the entity (1-3).")] = 1,
    as_json: JsonOpt = False,
    dot: Annotated[bool, typer.Option("--dot", help="Print Graphviz DOT (e.g. | dot -Tsvg > memory.svg).")] = False,
) -> None:
    """Show the people, places and things memory knows, and how they relate.

    Example: mem0cli graph Ana -u caroline --depth 2 --dot | dot -Tsvg > ana.svg
    """
    if as_json and dot:
        raise InputError("give --json or --dot, not both")
    memory = _memory(local=True, existing=True)
    view = memory.graph(entity, user_id=user_id, agent_id=agent_id, run_id=run_id, depth=depth)
    if as_json:
        _print_json(view)
    elif dot:
        from .graph.view import to_dot

        sys.stdout.write(to_dot(view))
    else:
        _render_relations(view, entity)


def _render_relations(view: dict[str, Any], entity: str | None) -> None:
    from rich.markup import escape
    from rich.table import Table

    console = _console()
    if not view["relations"]:
        console.print("No relations found.", style="dim")
        return
    table = Table(title=escape(f"graph: {entity}" if entity else "graph"))
    for column in ("subject", "relation", "object", "from", "until", "facts"):
        table.add_column(column, overflow="fold")
    for r in view["relations"]:
        table.add_row(
            escape(r["subject"]), escape(r["relation"]), escape(r["object"]), (r["valid_from"] or "")[:10],
            (r["valid_until"] or "")[:10], ", ".join(s["memory_id"][:8] for s in r["sources"]),
        )
    console.print(table)


@app.command("list")
@handled
def list_(
    user_id: UserOpt = None,
    agent_id: AgentOpt = None,
    run_id: RunOpt = None,
    filter_json: FilterOpt = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="Most memories to list.")] = 100,
    show_expired: ShowExpiredOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """List memories, newest first.

    Example: mem0cli list -u alice --json
    """
    filters = _parse_filter(filter_json)
    memory = _memory()
    result = memory.get_all(
        user_id=user_id, agent_id=agent_id, run_id=run_id, filters=filters, limit=limit,
        show_expired=show_expired,
    )
    if as_json:
        _print_json(result)
    else:
        _render_memories(result["results"], title="memories", show_score=False)
    _fail_if_missing(memory)


@app.command()
@handled
def get(
    memory_id: Annotated[str, typer.Argument(help="The memory's id.")],
    as_json: JsonOpt = False,
) -> None:
    """Show one memory with its sources.

    Example: mem0cli get 0b9c...
    """
    memory = _memory()
    try:
        full_id = memory.expand_id(memory_id)
    except NotFoundError:
        _fail_if_missing(memory)
        raise
    item = memory.get(full_id)
    if item is None:
        raise InputError(f"no memory with id {memory_id}")
    if as_json:
        _print_json(item)
        return
    console = _console()
    console.print(item["memory"], style="bold", markup=False)
    keys = ("id", "memory_type", "speaker", "user_id", "agent_id", "run_id", "said_on", "said_at", "created_at",
            "updated_at", "superseded_by")
    for key in keys:
        if item.get(key):
            console.print(f"{key}: {item[key]}", markup=False)
    if item["metadata"]:
        console.print(f"metadata: {json.dumps(item['metadata'], ensure_ascii=False)}", markup=False)
    for source in item.get("evidence") or []:
        who = source["name"] or source["role"]
        console.print(f"  [{source['created_at'] or '?'}] {who}: {source['content']}", markup=False)


@app.command()
@handled
def history(
    memory_id: Annotated[str, typer.Argument(help="The memory's id.")],
    as_json: JsonOpt = False,
) -> None:
    """Show how a memory changed: ADD, UPDATE, DELETE events, oldest first.

    Example: mem0cli history 0b9c...
    """
    memory = _memory()
    events = memory.history(_history_id(memory, memory_id))
    if not events:
        _fail_if_missing(memory)
        raise InputError(f"no history for id {memory_id}")
    if as_json:
        _print_json(events)
        return
    from rich.table import Table

    table = Table(title=f"history of {memory_id}")
    for column in ("time", "event", "old", "new", "reason"):
        table.add_column(column, overflow="fold")
    for e in events:
        table.add_row(e["created_at"], e["event"], e["old_memory"] or "", e["new_memory"] or "", e["reason"] or "")
    _console().print(table)


@app.command()
@handled
def forget(
    memory_ids: Annotated[Optional[list[str]], typer.Argument(help="Ids of memories to forget.")] = None,
    user_id: UserOpt = None,
    agent_id: AgentOpt = None,
    run_id: RunOpt = None,
    filter_json: FilterOpt = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be forgotten, change nothing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Forget memories by id, or everything in a scope or filter.

    Example: mem0cli forget -u alice --yes
    """
    memory = _memory()
    filters = _parse_filter(filter_json)
    if memory_ids:
        if user_id or agent_id or run_id or filters:
            raise InputError("give ids or a scope/filter, not both")
        memory_ids = [memory.expand_id(i) for i in memory_ids]
        if not dry_run:
            for memory_id in memory_ids:
                memory.delete(memory_id)
        result = {"deleted": len(memory_ids), "ids": list(memory_ids), "dry_run": dry_run}
    else:
        if not (user_id or agent_id or run_id or filters):
            raise InputError("say what to forget: ids, --user-id/--agent-id/--run-id, or --filter")
        plan = memory.delete_all(user_id=user_id, agent_id=agent_id, run_id=run_id, filters=filters, dry_run=True)
        if not dry_run and plan["deleted"] and not yes:
            if not sys.stdin.isatty():
                raise InputError(f"refusing to forget {plan['deleted']} memories without --yes")
            if not typer.confirm(f"Forget {plan['deleted']} memories?"):
                raise typer.Exit(1)
        if not dry_run:
            plan = memory.delete_all(user_id=user_id, agent_id=agent_id, run_id=run_id, filters=filters)
        result = {"deleted": plan["deleted"], "ids": plan["ids"], "dry_run": dry_run}
    if as_json:
        _print_json(result)
    elif dry_run:
        for memory_id in result["ids"]:
            sys.stdout.write(memory_id + "\n")
        _info(f"would forget {result['deleted']} memories (dry run)")
    else:
        _info(f"forgot {result['deleted']} memories")


@app.command("export")
@handled
def export_(
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="File to write atomically (.gz compresses); default stdout.")] = None,
    user_id: UserOpt = None,
    agent_id: AgentOpt = None,
    run_id: RunOpt = None,
    filter_json: FilterOpt = None,
    with_vectors: Annotated[bool, typer.Option("--with-vectors", help="Include the embedding vectors.")] = False,
    since: Annotated[Optional[str], typer.Option("--since", help="Only what changed at or after this ISO time (deletions as tombstones).")] = None,
) -> None:
    """Write a versioned JSONL backup of the store (or of a scope or filter).

    Example: mem0cli export -o backup.jsonl.gz --quiet
    """
    from . import backup
    from . import filters as flt

    tree = flt.scope_filter(user_id=user_id, agent_id=agent_id, run_id=run_id, filters=_parse_filter(filter_json))
    records = backup.export_records(_memory(local=True, existing=True), tree=tree, with_vectors=with_vectors, since=_iso_time(since))
    backup.write_export(records, output)
    if output not in (None, "-"):
        _info(f"exported {records[0]['counts']['memories']} memories to {output}")


@app.command("import")
@handled
def import_(
    file: Annotated[str, typer.Argument(help="An export file (JSONL, .gz, or Mem0 JSON); - for stdin.")] = "-",
    as_json: JsonOpt = False,
) -> None:
    """Restore an export into this store, keeping ids; importing twice adds nothing.

    Example: mem0cli import backup.jsonl.gz
    """
    from . import backup

    if file == "-":
        if sys.stdin.isatty():
            raise InputError("no input: give an export file or pipe one to stdin")
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {file}: {exc.strerror}") from None
    plan = backup.read_import(data)
    result = backup.apply_import(_memory(local=True), plan)
    if as_json:
        _print_json(result)
    if result["renamed_keys"]:
        keys = ", ".join(result["renamed_keys"])
        _info(f"mem0cli: warning: reserved metadata keys of an older export were renamed metadata.KEY: {keys}")
    _info(f"imported {result['added']} memories ({result['skipped']} already present)")


@app.command()
@handled
def migrate(
    to: Annotated[str, typer.Option("--to", help="The target store: a postgresql:// URL (the team store) or a directory.")],
    as_json: JsonOpt = False,
) -> None:
    """Copy this store into another backend: ids, sources, history, deletion records,
    tombstones and vectors. Run it again to resume one that was cut short.

    Example: mem0cli migrate --to postgresql://mem0@db.internal/mem0
    """
    from .migrate import migrate as copy_store

    source = _memory(local=True, existing=True)
    target = state.make_memory(to)
    counts = source.store.counts()
    with _progress(counts.memories + counts.messages, "migrating") as advance:
        result = copy_store(source, target, on_progress=advance)
    target.close()
    if as_json:
        _print_json(result)
    _info(f"migrated {result['memories']} memories and {result['messages']} messages to {target.store.location} "
          f"({result['skipped']} memories already there)")


@app.command()
@handled
def doctor(
    repair: Annotated[bool, typer.Option("--repair", help="Fix what can be rebuilt from SQLite first.")] = False,
    scan_secrets: Annotated[bool, typer.Option("--scan-secrets", help="Look for secrets stored before redaction (or with MEM0CLI_SECRETS=keep); exit 1 if any.")] = False,
    redact: Annotated[bool, typer.Option("--redact", help="With --scan-secrets: rewrite them as [redacted TYPE] in place, re-embed, compact.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check that SQLite and LanceDB agree (ids, counts, model, schema); exit 1 when they do not.

    Example: mem0cli doctor --repair; mem0cli doctor --scan-secrets --redact
    """
    from . import doctor as checks

    if redact and not scan_secrets:
        raise InputError("--redact goes with --scan-secrets")
    memory = _memory(local=True, existing=True)
    if scan_secrets:
        _scan_secrets(memory, redact, as_json)
        return
    fixed = checks.repair(memory) if repair else []
    report = checks.check(memory)
    if as_json:
        _print_json({"ok": report.ok, "problems": report.problems, "counts": report.counts, "fixed": fixed})
    else:
        for line in fixed:
            _info(f"fixed: {line}")
        for problem in report.problems:
            sys.stdout.write(f"problem: {problem}\n")
        if report.ok:
            _info("ok: " + ", ".join(f"{k} {v}" for k, v in report.counts.items()))
    if not report.ok:
        raise typer.Exit(1)


def _scan_secrets(memory, redact: bool, as_json: bool) -> None:
    """Report (or redact) secrets in the store: types and counts only, never the values."""
    from .redact import describe
    from .secret_scan import redact_store, scan

    result = redact_store(memory) if redact else scan(memory)
    places = sorted({f"{table}/{key}" for table, key, _column in result.places})
    if as_json:
        _print_json({"secrets": dict(result.counts), "places": places, "redacted": redact and result.found > 0})
    elif result.found:
        for place in places:
            sys.stdout.write(f"secret: {place}\n")
        verb = "redacted in place" if redact else "found (run with --redact to rewrite them)"
        _info(f"{describe(result.counts).replace(' redacted', '')} {verb}, in {len(places)} rows")
    else:
        _info("ok: no secrets found")
    if result.found and not redact:
        raise typer.Exit(1)


@app.command()
@handled
def reextract(
    user_id: UserOpt = None,
    agent_id: AgentOpt = None,
    run_id: RunOpt = None,
    filter_json: FilterOpt = None,
    resume: Annotated[bool, typer.Option("--resume", help="Skip the scopes an interrupted run finished.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List the scopes that would be re-extracted, change nothing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Extract facts again from the stored turns with the configured model and prompt.

    Facts an older model or prompt wrote are replaced (history keeps their old text),
    facts a person edited are kept. Without a scope or filter, every scope is read.

    Example: MEM0CLI_LLM_MODEL=~/models/qwen2.5-1.5b-instruct.gguf mem0cli reextract -u alex
    """
    from .reextract import reextract as run

    memory = _memory(local=True)
    filters = _parse_filter(filter_json)
    options = {"user_id": user_id, "agent_id": agent_id, "run_id": run_id, "filters": filters, "resume": resume}
    plan = run(memory, dry_run=True, **options)
    if dry_run:
        summary = plan
    else:
        with _progress(plan.turns, "re-extracting") as advance:
            summary = run(memory, on_progress=advance, **options)
    if as_json:
        _print_json(vars(summary))
    _info(summary.line())


@app.command()
@handled
def reindex() -> None:
    """Rebuild the vector table from SQLite, e.g. after changing MEM0CLI_EMBED_MODEL.

    Example: MEM0CLI_EMBED_MODEL=/models/other mem0cli reindex
    """
    from . import doctor as checks

    count = checks.reindex(_memory(local=True))
    _info(f"reindexed {count} facts and turns")


@app.command()
@handled
def compact() -> None:
    """Rewrite the store's files so that forgotten text leaves the disk (forget does this too).

    Example: mem0cli compact
    """
    _memory(local=True).compact()
    _info("compacted")


@app.command()
@handled
def stats(as_json: JsonOpt = False) -> None:
    """Show counts and the models of the store.

    Example: mem0cli stats
    """
    data = _memory(local=True, existing=True).stats()
    if as_json:
        _print_json(data)
    else:
        for key, value in data.items():
            if isinstance(value, dict):  # secrets_redacted: by type
                value = ", ".join(f"{k} {n}" for k, n in sorted(value.items())) or "0"
            sys.stdout.write(f"{key}: {value}\n")


def _home() -> Path:
    """Where the store's server keeps its socket and record."""
    from .config import server_home

    return server_home(state.store)


@app.command()
@handled
def serve(
    host: Annotated[Optional[str], typer.Option("--host", help="Also listen on TCP at this address (off loopback a bearer token is required).")] = None,
    port: Annotated[int, typer.Option("--port", help="TCP port, with --host.")] = 8765,
    token_file: Annotated[Optional[Path], typer.Option("--token-file", help="File holding the bearer token for TCP clients (default: generated into the store, 0600).")] = None,
    status: Annotated[bool, typer.Option("--status", help="Say whether a server runs for the store: exit 0 if it does, 1 if not.")] = False,
    stop: Annotated[bool, typer.Option("--stop", help="Stop the store's server (SIGTERM, wait for its writes to finish).")] = False,
) -> None:
    """Serve the store over HTTP with the models loaded once; the CLI then uses it.

    Listens on serve.sock in the store directory (mode 0600) until SIGTERM or Ctrl-C.
    Example: mem0cli serve &   then   mem0cli search "where do I live" -u alice
    """
    from .server import run

    if status and stop:
        raise InputError("give --status or --stop, not both")
    if status:
        found = run.status(_home())
        if found is None:
            sys.stdout.write("not running\n")
            raise typer.Exit(1)
        where = found["socket"] + (f", http://{found['host']}:{found['port']}" if found.get("host") else "")
        sys.stdout.write(f"running: pid {found['pid']}, {where}\n")
        return
    if stop:
        pid = run.stop(_home())
        _info("no server running" if pid is None else f"stopped the server (pid {pid})")
        return
    if port < 1 or port > 65535:
        raise InputError("--port must be from 1 to 65535")
    run.serve(state.make_memory, state.store, host=host, port=port, token_file=token_file, say=_info)


@app.command("mcp")
@handled
def mcp_(
    user_id: UserOpt = None,
    agent_id: AgentOpt = None,
    run_id: RunOpt = None,
) -> None:
    """Serve the memory to MCP clients (Claude Code, Cursor, ...) over stdio; scope options are the tools' defaults.

    Uses the store's running `mem0cli serve` when there is one, else loads the models itself.
    Example (an MCP client's config): {"command": "mem0cli", "args": ["mcp", "-u", "alice"]}
    """
    from . import mcp_server

    defaults = {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}
    mcp_server.run(state.make_memory, state.store, defaults=defaults, use_server=not state.no_server)


def run(argv: list[str] | None = None) -> int:
    """Run one command line (default: this process's) and return its exit code; errors are one line on stderr."""
    try:
        code = app(args=argv, prog_name="mem0cli", standalone_mode=False)
    except typer.Abort:
        sys.stderr.write("mem0cli: aborted\n")
        code = 1
    except typer.TyperException as exc:  # Click's usage errors (vendored by Typer)
        context = getattr(exc, "ctx", None)
        where = context.command_path if context is not None else "mem0cli"
        message = exc.format_message()
        if "\n" in message:  # no command given: the message is the help text itself
            sys.stderr.write(message.rstrip() + "\n")
        else:
            sys.stderr.write(f"{where}: {message} (see {where} --help)\n")
        code = getattr(exc, "exit_code", 2)
    return code if isinstance(code, int) else 0


def main() -> None:
    """Console-script entry point of the in-process CLI."""
    sys.exit(run())
