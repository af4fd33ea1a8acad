"""`mem0cli migrate --to postgresql://...`: the local store, copied whole into the team store."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from mem0cli import Memory, backup, cli
from mem0cli.store.postgres import PostgresStore
from tests.fakes import FakeEmbedder, ScriptedExtractor

runner = CliRunner()


def _open(where) -> Memory:
    url = where if str(where).startswith("postgresql://") else None
    return Memory(url=url, path=None if url else where, embedder=FakeEmbedder(), extractor=ScriptedExtractor())


def _filled(home) -> Memory:
    local = _open(home)
    local._extractor.outputs = ['["Alice lives in Seattle"]', '["Alice uses the codeword Zanzibarqux"]', "[]"]
    mid = local.add("I live in Seattle", user_id="alice")["results"][0]["id"]
    local.update(mid, "Alice lives in Tacoma")
    local.add("My codeword is Zanzibarqux", user_id="alice")
    secret = local.get_all(user_id="alice")["results"]
    local.delete(next(m["id"] for m in secret if "codeword" in m["memory"]))
    local.add([{"role": "user", "content": "Just saying hello", "id": "h1"}], user_id="bob")
    return local


def _everything(memory: Memory) -> list[dict]:
    """The export without its dated header, sorted: what must survive the migration."""
    records = backup.export_records(memory, with_vectors=True)[1:]
    return sorted(records, key=lambda r: json.dumps(r, sort_keys=True))


def test_migrate_copies_ids_sources_history_tombstones_and_vectors_and_resumes(isolated_home, pg_url, monkeypatch):
    local = _filled(isolated_home)
    monkeypatch.setattr(cli.state, "make_memory", lambda where: _open(where or isolated_home))
    result = runner.invoke(cli.app, ["migrate", "--to", pg_url, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["memories"] == 1
    team = _open(pg_url)
    assert isinstance(team.store, PostgresStore)
    assert _everything(team) == _everything(local)
    assert team.store.tombstones() and team.store.deletions()
    hit = team.search("where does alice live", user_id="alice")["results"][0]
    assert hit["memory"] == "Alice lives in Tacoma"
    again = runner.invoke(cli.app, ["migrate", "--to", pg_url, "--json"])  # run again: nothing new
    assert again.exit_code == 0 and json.loads(again.stdout)["skipped"] == 1
    assert _everything(team) == _everything(local)
    team.close()
    local.close()


def test_a_migration_cut_short_resumes(isolated_home, pg_url):
    from mem0cli.migrate import migrate, planned

    local = _filled(isolated_home)
    team = _open(pg_url)
    plan = planned(local)
    backup.apply_import(team, backup.ImportPlan(header=plan.header, messages=plan.messages[:1]))  # killed here
    migrate(local, team)
    assert _everything(team) == _everything(local)
    team.close()
    local.close()


def test_migrating_a_missing_store_fails_and_creates_nothing(isolated_home, pg_url, monkeypatch):
    monkeypatch.setattr(cli.state, "make_memory", lambda where: _open(where or isolated_home))
    result = runner.invoke(cli.app, ["migrate", "--to", pg_url])
    assert result.exit_code == 1 and "no store" in result.stderr
    assert not PostgresStore(pg_url).exists()
