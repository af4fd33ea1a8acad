"""Secrets never become memories: detection, redaction, the add pipeline, keep, and doctor's scan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mem0cli import Memory, backup, cli
from mem0cli.config import Settings
from mem0cli.redact import placeholder_only, redact
from tests.fakes import FakeEmbedder, ScriptedExtractor

runner = CliRunner()
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkFkYSJ9"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
AZURE_KEY = "MRS8bDpk5oBo/x8J9Y3y1cvGrxFMPlRIMhJgLK6BSHLjtgoQMy++mzHFSollhyx/SztIMJ0ntynW25Ps/uLWKw=="
PEM_BODY = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun"
#: (type, message, the secret that must not be stored)
SECRETS = [
    ("aws-access-key", "My AWS access key is AKIAIOSFODNN7EXAMPLE, keep it safe.", "AKIAIOSFODNN7EXAMPLE"),
    ("aws-access-key", 'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("gcp-api-key", "maps key: AIzaSyD-4f8Kq9vX2mLpR7tW3nB6cY1zH0jE5aU", "AIzaSyD-4f8Kq9vX2mLpR7tW3nB6cY1zH0jE5aU"),
    ("private-key", '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\n' + PEM_BODY
     + '\\n-----END PRIVATE KEY-----\\n"}', PEM_BODY),
    ("azure-storage-key", "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=" + AZURE_KEY, AZURE_KEY),
    ("azure-client-secret", "the app registration secret: xY78Q~aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z", "xY78Q~aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z"),
    ("github-token", "use ghp_R4nd0mT0k3nV4lu3F0rT3st1ngPurp0s3s12 for the CI", "ghp_R4nd0mT0k3nV4lu3F0rT3st1ngPurp0s3s12"),
    ("gitlab-token", "gitlab token glpat-Xy7Zk2LmN9pQ4rS8tV1w please", "glpat-Xy7Zk2LmN9pQ4rS8tV1w"),
    ("slack-token", "bot token xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
    ("stripe-key", "Stripe: sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    ("stripe-key", "test key sk_test_51HqLyjWDarjtT1zdp7dcAbCd", "sk_test_51HqLyjWDarjtT1zdp7dcAbCd"),
    ("openai-api-key", "OPENAI_API_KEY=sk-proj-Ab3De5Fg7Hi9Jk1Lm3No5Pq7Rs9Tu1Vw3Xy5Za7Bc9De1", "sk-proj-Ab3De5Fg7Hi9Jk1Lm3No5Pq7Rs9Tu1Vw3Xy5Za7Bc9De1"),
    ("anthropic-api-key", "my claude key sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe9Dc8Ba7", "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe9Dc8Ba7"),
    ("jwt", f"Authorization: Bearer {JWT}", JWT),
    ("private-key", f"-----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}\n-----END OPENSSH PRIVATE KEY-----", PEM_BODY),
    ("url-password", "connect with postgres://app:S3cr3t-Pa55@db.internal:5432/prod", "S3cr3t-Pa55"),
    ("url-password", "the dashboard is at https://admin:hunter2hunter2@grafana.example.com/", "hunter2hunter2"),
    ("password", "My password is Tr0ub4dor&3.", "Tr0ub4dor&3"),
    ("password", 'the wifi password is "correcthorsebattery"', "correcthorsebattery"),
    ("password", "I changed my password to Summer2024! yesterday", "Summer2024!"),
    ("pin", "my card PIN 4821, don't tell anyone", "4821"),
    ("payment-card", "my bank card is 4111 1111 1111 1111.", "4111 1111 1111 1111"),
    ("payment-card", "Amex 3782-822463-10005 for travel", "3782-822463-10005"),
    ("iban", "rent goes to DE89 3704 0044 0532 0130 00 every month", "DE89 3704 0044 0532 0130 00"),
    ("credential", "the API token for staging is 7f9c2ba4e88f827d616045507605853e", "7f9c2ba4e88f827d616045507605853e"),
    ("credential", "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("password", "DB_PASSWORD=hunter22xyz", "hunter22xyz"),
    ("password", '{"password": "hunter23xyz"}', "hunter23xyz"),
    ("password", "curl -u bob:hunter24xyz https://api.example.com", "hunter24xyz"),
    ("password", "Use password Welcome1 to log in", "Welcome1"),
    ("password", "login: bob / pass: Sunshine99", "Sunshine99"),
    ("password", "the password I use everywhere is Fluffy2019", "Fluffy2019"),
    ("pin", "My PIN's 4822", "4822"),
]
LOOK_ALIKES = [
    "fixed in commit 3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f, see the changelog",
    "order id 123e4567-e89b-12d3-a456-426614174000 shipped",
    "my order number is 4111111111111112",
    "ISBN 978-0-306-40615-7 is the book",
    "call me at +1 (415) 555-0100 after 6pm",
    "we upgraded to v2.13.0 on 2024-05-03",
    "it cost $1,299.99 at the store",
    "tracking number 1Z999AA10123456784",
    "my password is too short, I need a new one",
    "I reset my password yesterday",
    "the key insight is that caching helps",
    "the primary key is user_id",
    "invoice INV-2024-000123 is due",
    "the database lives at postgres://db.internal:5432/prod",
    "my sha256 is e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 for the empty file",
    "my IMEI is 356938035643809",
    "the S3 key is uploads/2024/05/report-final-v2.pdf",
    "idempotency key: order-2024-05-03-000123",
    "Our building code 2019 requires sprinklers",
    "the entry code 2024 season",
    "pin 220 of the connector",
    "the new password is sent by email",
    "ref RF18539007547034",
    "http://localhost:8080@evil",
    "part APB12345678 in stock",
]


@pytest.mark.parametrize("kind,message,secret", SECRETS, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(SECRETS)])
def test_each_supported_type_is_redacted(kind, message, secret):
    found = redact(message)
    assert secret not in found.text
    assert f"[redacted {kind}]" in found.text
    assert found.counts[kind] >= 1


@pytest.mark.parametrize("message", LOOK_ALIKES)
def test_look_alikes_stay_intact(message):
    assert redact(message).text == message


def test_redaction_keeps_the_other_words_and_every_occurrence():
    found = redact("key AKIAIOSFODNN7EXAMPLE; again AKIAIOSFODNN7EXAMPLE. I bank with Nordea")
    assert found.text == "key [redacted aws-access-key]; again [redacted aws-access-key]. I bank with Nordea"
    assert found.counts["aws-access-key"] == 2


@pytest.mark.parametrize(
    "fact,empty",
    [
        ("User's AWS access key is [redacted aws-access-key].", True),
        ("Alice's wifi password: [redacted password]", True),
        ("Bob's bank card [redacted payment-card]", True),
        ("User banks with Nordea", False),
        ("User's card [redacted payment-card] is with Nordea", False),
        ("User pays rent to [redacted iban] every month", False),
    ],
)
def test_a_fact_that_was_only_a_secret_is_recognised(fact, empty):
    assert placeholder_only(fact) is empty


# -- the add pipeline ---------------------------------------------------------------------
def store_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file())


def echoing_extractor() -> ScriptedExtractor:
    """An extractor that turns each secret message into a fact holding the secret (the worst case)."""
    facts = ["User banks with Nordea"] + [f"User's {kind.replace('-', ' ')} is {secret}" for kind, _, secret in SECRETS]
    return ScriptedExtractor([json.dumps(facts[:20]), json.dumps(facts[20:])])  # at most 20 facts a call


def test_no_secret_reaches_any_file_of_the_store_or_an_export(tmp_path):
    store = tmp_path / "store"
    memory = Memory(path=store, embedder=FakeEmbedder(), extractor=echoing_extractor())
    chat = [{"role": "user", "content": message} for _, message, _ in SECRETS]
    chat.append({"role": "user", "content": "I bank with Nordea, card 4111 1111 1111 1111"})
    memory.add(chat[:10], user_id="p")
    memory.add(chat[10:], user_id="p")
    notes = memory.add([{"role": "user", "content": m} for _, m, _ in SECRETS[:5]], user_id="q", infer=False)
    memory.update(notes["results"][0]["id"], "User's PIN is 4821 and the gate code is 7734")
    export = store / "backup.jsonl"
    backup.write_export(backup.export_records(memory, with_vectors=True), str(export))
    records = [json.loads(line) for line in export.read_text().splitlines()]
    exported = [r.get("memory") or r.get("content") or "" for r in records]
    exported += [h.get(k) or "" for r in records for h in r.get("history", []) for k in ("old_memory", "new_memory")]
    texts = " ".join([text for *_, text in memory.store.facts.stored_texts()] + exported)
    memory.close()
    data = store_bytes(store)
    for _, _, secret in SECRETS:
        assert secret not in texts, secret
        if len(secret) >= 8:  # a short PIN may occur by chance in binary pages or random ids
            assert secret.encode() not in data, secret
    assert "7734" not in texts and "[redacted pin]" in texts
    memory = Memory(path=store, embedder=FakeEmbedder(), extractor=ScriptedExtractor())
    facts = memory.get_all(user_id="p", filters={"memory_type": "fact"})["results"]
    assert [f["memory"] for f in facts] == ["User banks with Nordea"]  # secret-only facts are not stored
    hits = memory.search("Nordea bank card", user_id="p", memory_type="message")["results"]
    assert hits[0]["memory"] == "I bank with Nordea, card [redacted payment-card]"
    stats = memory.stats()["secrets_redacted"]
    assert stats["payment-card"] >= 1 and stats["aws-access-key"] >= 2 and stats["pin"] >= 1


def test_look_alikes_are_stored_as_given(memory):
    memory.add([{"role": "user", "content": m} for m in LOOK_ALIKES], user_id="p", infer=False)
    stored = {m["memory"] for m in memory.get_all(user_id="p", filters={"memory_type": "fact"})["results"]}
    assert stored == set(LOOK_ALIKES)
    assert memory.stats()["secrets_redacted"] == {}


def test_re_adding_a_transcript_with_a_secret_adds_nothing(memory):
    chat = [{"role": "user", "content": "my password is Tr0ub4dor&3", "id": "m1"}]
    assert memory.add(chat, user_id="p", infer=False)["redacted"] == {"password": 1}
    assert memory.add(chat, user_id="p", infer=False) == {"results": []}
    assert memory.stats()["secrets_redacted"] == {"password": 1}


def fact_saying(memory: Memory, words: str) -> dict:
    return next(m for m in memory.get_all(user_id="p", filters={"memory_type": "fact"})["results"] if words in m["memory"])


def keep_memory(path: Path) -> Memory:
    return Memory(
        embedder=FakeEmbedder(), extractor=ScriptedExtractor(), settings=Settings(home=path, secrets="keep")
    )


def test_keep_stores_secrets_and_doctor_finds_then_redacts_them(tmp_path, monkeypatch):
    store = tmp_path / "store"
    memory = keep_memory(store)
    memory.add([{"role": "user", "content": m} for _, m, _ in SECRETS] + [{"role": "user", "content": LOOK_ALIKES[0]}],
               user_id="p", infer=False)
    fact = fact_saying(memory, "AKIAIOSFODNN7EXAMPLE")
    memory.update(fact["id"], fact["memory"] + " (updated)")  # the secret is in its history too
    assert b"AKIAIOSFODNN7EXAMPLE" in store_bytes(store)
    monkeypatch.setattr(cli.state, "make_memory", lambda path: memory)
    scan = runner.invoke(cli.app, ["doctor", "--scan-secrets", "--json"])
    assert scan.exit_code == 1
    report = json.loads(scan.stdout)
    assert report["secrets"]["aws-access-key"] >= 2 and not report["redacted"]
    assert "AKIAIOSFODNN7EXAMPLE" not in scan.output  # types and places, never values
    fixed = runner.invoke(cli.app, ["doctor", "--scan-secrets", "--redact"])
    assert fixed.exit_code == 0, fixed.output
    data = store_bytes(store)
    texts = " ".join(text for *_, text in memory.store.facts.stored_texts())
    for _, _, secret in SECRETS:
        assert secret not in texts, secret
        if len(secret) >= 8:
            assert secret.encode() not in data, secret
    assert LOOK_ALIKES[0] in {m["memory"] for m in memory.get_all(user_id="p")["results"]}
    again = runner.invoke(cli.app, ["doctor", "--scan-secrets"])
    assert again.exit_code == 0 and "no secrets found" in again.output
    assert runner.invoke(cli.app, ["doctor"]).exit_code == 0  # SQLite and LanceDB still agree
    hits = memory.search("wifi password", user_id="p")["results"]
    assert any("[redacted password]" in h["memory"] for h in hits)


def test_keep_is_read_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MEM0CLI_SECRETS", "keep")
    assert Settings.from_env(tmp_path).secrets == "keep"
    monkeypatch.setenv("MEM0CLI_SECRETS", "sometimes")
    with pytest.raises(Exception, match="MEM0CLI_SECRETS must be one of redact, keep"):
        Settings.from_env(tmp_path)


def test_the_cli_says_how_many_secrets_it_redacted_never_which(monkeypatch):
    memory = Memory(embedder=FakeEmbedder(), extractor=ScriptedExtractor())
    monkeypatch.setattr(cli.state, "make_memory", lambda path: memory)
    monkeypatch.setattr(cli.state, "quiet", False)
    out = runner.invoke(
        cli.app, ["add", "--no-infer", "-u", "p"],
        input="My AWS access key is AKIAIOSFODNN7EXAMPLE and my bank card is 4111 1111 1111 1111.",
    )
    assert out.exit_code == 0, out.output
    assert "2 secrets redacted (1 aws-access-key, 1 payment-card)" in out.stderr
    assert "AKIAIOSFODNN7EXAMPLE" not in out.output
    stats = runner.invoke(cli.app, ["stats"])
    assert "secrets_redacted: aws-access-key 1, payment-card 1" in stats.stdout


def test_redact_without_scan_is_bad_usage(monkeypatch, memory):
    monkeypatch.setattr(cli.state, "make_memory", lambda path: memory)
    out = runner.invoke(cli.app, ["doctor", "--redact"])
    assert out.exit_code == 2 and "--redact goes with --scan-secrets" in out.output


def test_importing_an_export_made_with_keep_redacts_it(tmp_path):
    kept = keep_memory(tmp_path / "kept")
    kept.add([{"role": "user", "content": m} for _, m, _ in SECRETS], user_id="p", infer=False)
    fact = fact_saying(kept, "AKIAIOSFODNN7EXAMPLE")
    kept.update(fact["id"], fact["memory"] + " (updated)")
    export = tmp_path / "kept.jsonl"
    backup.write_export(backup.export_records(kept, with_vectors=True), str(export))
    assert "AKIAIOSFODNN7EXAMPLE" in export.read_text()
    mirror = Memory(path=tmp_path / "mirror", embedder=FakeEmbedder(), extractor=ScriptedExtractor())
    result = backup.apply_import(mirror, backup.read_import(export.read_bytes()))
    assert result["added"] == len(SECRETS)
    texts = " ".join(text for *_, text in mirror.store.facts.stored_texts())
    for _, _, secret in SECRETS:
        assert secret not in texts, secret
    assert mirror.stats()["secrets_redacted"]["aws-access-key"] >= 2
    hits = mirror.search("wifi password", user_id="p", memory_type="fact")["results"]
    assert hits[0]["memory"] == 'the wifi password is "[redacted password]"'


def test_after_doctor_redacts_the_same_text_added_again_adds_nothing(tmp_path):
    store = tmp_path / "store"
    chat = [{"role": "user", "content": "my card PIN 4821", "id": "m1", "created_at": "2025-01-02T10:00:00Z"}]
    kept = keep_memory(store)
    kept.add(chat, user_id="p", infer=False)
    from mem0cli.secret_scan import redact_store

    assert redact_store(kept).found == 3  # the turn, its memory and its history event
    assert kept.stats()["secrets_redacted"] == {"pin": 2}
    kept.close()
    memory = Memory(path=store, embedder=FakeEmbedder(), extractor=ScriptedExtractor())
    assert memory.add(chat, user_id="p", infer=False) == {"results": []}
    assert memory.stats()["messages"] == 1


def test_importing_twice_counts_its_secrets_once(tmp_path):
    kept = keep_memory(tmp_path / "kept")
    kept.add("my AWS access key is AKIAIOSFODNN7EXAMPLE", user_id="p", infer=False)
    export = tmp_path / "kept.jsonl"
    backup.write_export(backup.export_records(kept), str(export))
    mirror = Memory(path=tmp_path / "mirror", embedder=FakeEmbedder(), extractor=ScriptedExtractor())
    for _ in range(3):
        backup.apply_import(mirror, backup.read_import(export.read_bytes()))
    assert mirror.stats()["secrets_redacted"] == {"aws-access-key": 2}  # the turn and the memory


def test_a_message_that_is_only_a_secret_keeps_its_turn_but_makes_no_memory(memory):
    assert memory.add("AKIAIOSFODNN7EXAMPLE", user_id="p", infer=False)["results"] == []
    assert memory.get_all(user_id="p")["results"] == []
    turns = memory.search("aws", user_id="p", memory_type="message")["results"]
    assert [t["memory"] for t in turns] == ["[redacted aws-access-key]"]


def test_an_unknown_secrets_policy_is_refused(tmp_path):
    with pytest.raises(Exception, match="secrets must be one of redact, keep"):
        Settings(home=tmp_path, secrets="Redact")
