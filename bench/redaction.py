"""Secret redaction: recall per type, false positives on look-alikes, and the cost on ingest.

    python bench/redaction.py [--messages 600] [--ingest 120] [--seed 1]

A generated corpus: messages that embed secrets of every supported type in varied phrasings
(recall = secrets gone from the redacted text / secrets present), and messages full of
look-alikes (git SHAs, UUIDs, order numbers, ISBNs, phone numbers, prices, versions,
card-like numbers that fail Luhn, …; a false positive = a look-alike message changed).
Then look-alike messages (which read the same either way, so extraction does the same work)
are ingested with the bundled models, with and without detection (MEM0CLI_SECRETS=redact /
keep), alternating, and the best time per message of each is compared in the same run.
Targets: recall >= 0.99, false positives <= 1%, ingest slower by <= 10%.
"""

from __future__ import annotations

import sys
from pathlib import Path

# ruff: noqa: E402 - the path is fixed before the imports
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import base64
import json
import random
import string
import tempfile
import time
from collections import Counter, defaultdict

from mem0cli.redact import redact

ALNUM = string.ascii_letters + string.digits


def chars(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for check in string.digits:
        digits = body + check
        total = sum((int(d) * 2 - 9 if int(d) * 2 > 9 else int(d) * 2) if i % 2 else int(d)
                    for i, d in enumerate(reversed(digits)))
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


def grouped(number: str, rng: random.Random) -> str:
    sep = rng.choice([" ", "-", ""])
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


def iban(rng: random.Random) -> str:
    country, length = rng.choice([("DE", 22), ("GB", 22), ("FR", 27), ("NL", 18), ("ES", 24), ("FI", 18)])
    bban = "".join(rng.choice(string.digits) for _ in range(length - 4))
    if country in ("GB", "NL"):
        bban = chars(rng, 4, string.ascii_uppercase) + bban[4:]
    number = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    value = f"{country}{98 - number % 97:02d}{bban}"
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4)) if rng.random() < 0.5 else value


def jwt(rng: random.Random) -> str:
    def part(obj: str) -> str:
        return base64.urlsafe_b64encode(obj.encode()).decode().rstrip("=")

    header = part(json.dumps({"alg": "HS256", "typ": "JWT"}))
    payload = part(json.dumps({"sub": chars(rng, 8)}))
    return f"{header}.{payload}.{chars(rng, 43, ALNUM + '-_')}"


SECRET_MAKERS = {
    "aws-access-key": lambda r: "AKIA" + chars(r, 16, string.ascii_uppercase + string.digits),
    "gcp-api-key": lambda r: "AIza" + chars(r, 35, ALNUM + "-_"),
    "github-token": lambda r: r.choice(["ghp_", "gho_", "ghs_"]) + chars(r, 36),
    "gitlab-token": lambda r: "glpat-" + chars(r, 20, ALNUM + "-_"),
    "slack-token": lambda r: f"xoxb-{chars(r, 12, string.digits)}-{chars(r, 13, string.digits)}-{chars(r, 24)}",
    "stripe-key": lambda r: r.choice(["sk_live_", "rk_live_", "sk_test_"]) + chars(r, 24),
    "openai-api-key": lambda r: "sk-proj-" + chars(r, 48, ALNUM + "_-"),
    "anthropic-api-key": lambda r: "sk-ant-api03-" + chars(r, 40, ALNUM + "_-"),
    "azure-client-secret": lambda r: chars(r, 3) + r.choice(string.digits) + "Q~" + chars(r, 34, ALNUM + "_~.-"),
    "jwt": jwt,
    "private-key": lambda r: "-----BEGIN RSA PRIVATE KEY-----\n" + chars(r, 64, ALNUM + "+/") + "\n-----END RSA PRIVATE KEY-----",
    "url-password": lambda r: chars(r, 10, ALNUM + "!$-_"),
    "password": lambda r: r.choice(["", "x", "P@"]) + chars(r, r.randint(8, 14), ALNUM + "!@#%&*-_"),
    "pin": lambda r: "".join(r.choice(string.digits) for _ in range(r.choice([4, 4, 6]))),
    "payment-card": lambda r: grouped(luhn_complete(r.choice(["4", "51", "55", "37", "6011"]), r.choice([16, 16, 15]), r), r),
    "iban": iban,
    "credential": lambda r: chars(r, r.choice([24, 32, 40]), string.hexdigits.lower() + string.ascii_uppercase),
}
PHRASES = {
    "aws-access-key": ["My AWS access key is {s}.", "aws key {s} for the prod account", "export AWS_ACCESS_KEY_ID={s}",
                       "here's the IAM key: {s}, rotate it next week"],
    "gcp-api-key": ["the Google Maps key is {s}", "GCP api key {s} (restricted to our domain)", "apiKey: \"{s}\""],
    "github-token": ["use {s} to push to the repo", "my GitHub token is {s}", "GITHUB_TOKEN={s} in the CI settings"],
    "gitlab-token": ["gitlab PAT {s}", "the runner uses {s} to clone", "token for gitlab: {s}"],
    "slack-token": ["slack bot token: {s}", "the bot posts with {s}", "SLACK_BOT_TOKEN={s}"],
    "stripe-key": ["Stripe secret {s}", "payments use {s} in production", "STRIPE_KEY={s}"],
    "openai-api-key": ["my OpenAI key is {s}", "OPENAI_API_KEY={s}", "use this key {s} for the bot"],
    "anthropic-api-key": ["claude key {s}", "ANTHROPIC_API_KEY={s}", "my anthropic key: {s}"],
    "azure-client-secret": ["the app registration client secret is {s}", "AZURE_CLIENT_SECRET={s}", "secret value {s} expires in June"],
    "jwt": ["Authorization: Bearer {s}", "my session token is {s}", "decode this jwt {s} please"],
    "private-key": ["here is my deploy key\n{s}", "{s}", "ssh key for the box:\n{s}\nthanks"],
    "url-password": ["connect to postgres://app:{s}@db.internal:5432/prod", "mysql://root:{s}@localhost/shop",
                     "the dashboard is https://admin:{s}@grafana.example.com", "redis://:{s}@cache:6379/0"],
    "password": ["my password is {s}", "the wifi password is {s}", "I changed my password to {s} yesterday",
                 "password: {s}", "the router admin passphrase is \"{s}\"", "Netflix password is {s} if you need it",
                 "the password for my gmail account is: {s}", "pw: {s}", "DB_PASSWORD={s}", '{{"password": "{s}"}}',
                 "curl -u bob:{s} https://api.example.com", "login: bob / pass: {s}", "My Netflix password's {s}",
                 "the password I use everywhere is {s}"],
    "pin": ["my PIN is {s}", "PIN {s} for the debit card", "the door code is {s}", "phone unlock pin: {s}",
            "My PIN's {s}", "gate code: {s}"],
    "payment-card": ["my card number is {s}", "charge it to {s} exp 04/27", "Visa {s}", "use the card {s} for the hotel"],
    "iban": ["send the rent to {s}", "my IBAN is {s}", "IBAN: {s} (Nordea)"],
    "credential": ["the API token for staging is {s}", "api_key = {s}", "our webhook secret: {s}",
                   "client secret is {s}", "my license key is {s}", "export AWS_SECRET_ACCESS_KEY={s}",
                   "GITHUB_TOKEN={s}", '{{"api_key": "{s}"}}'],
}
LOOK_ALIKE_MAKERS = {
    "git-sha": lambda r: f"fixed in commit {chars(r, 40, '0123456789abcdef')}, see the log",
    "short-sha": lambda r: f"merged {chars(r, 7, '0123456789abcdef')} into main",
    "uuid": lambda r: "order {}-{}-4{}-a{}-{} shipped".format(
        chars(r, 8, "0123456789abcdef"), chars(r, 4, "0123456789abcdef"), chars(r, 3, "0123456789abcdef"),
        chars(r, 3, "0123456789abcdef"), chars(r, 12, "0123456789abcdef")),
    "order-number": lambda r: f"my order number is {r.randint(10**9, 10**12)}",
    "isbn": lambda r: f"ISBN 978-{r.randint(0, 9)}-{r.randint(100, 999)}-{r.randint(10000, 99999)}-{r.randint(0, 9)}",
    "phone": lambda r: f"call me at +1 ({r.randint(200, 999)}) {r.randint(200, 999)}-{r.randint(1000, 9999)}",
    "price": lambda r: f"it cost ${r.randint(1, 9999)}.{r.randint(10, 99)} with tax",
    "version": lambda r: f"we upgraded to v{r.randint(0, 20)}.{r.randint(0, 40)}.{r.randint(0, 99)} last week",
    "date": lambda r: f"the meeting is on {r.randint(2020, 2027)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
    "not-luhn-card": lambda r: f"reference {_failing_luhn(r)}",
    "tracking": lambda r: f"tracking number 1Z{chars(r, 16, string.ascii_uppercase + string.digits)}",
    "hash-in-text": lambda r: f"sha256 {chars(r, 64, '0123456789abcdef')} matches the download",
    "password-talk": lambda r: r.choice(["my password is too short", "I reset my password yesterday",
                                         "the password is case-sensitive", "forgot my password again",
                                         "the password is expiring soon", "password manager is 1Password"]),
    "codes": lambda r: r.choice([f"my zip code is {r.randint(10000, 99999)}", f"area code {r.randint(200, 999)}",
                                 f"error code {r.randint(100, 599)}", f"promo code SAVE{r.randint(10, 50)}"]),
    "key-talk": lambda r: r.choice(["the key insight is caching", "the primary key is user_id",
                                    "a token of appreciation for the team", "the secret is good butter"]),
    "invoice": lambda r: f"invoice INV-{r.randint(2020, 2027)}-{r.randint(0, 999999):06d} is due",
    "product-code": lambda r: r.choice([f"part AP{chars(r, 9, string.ascii_uppercase + string.digits)} in stock",
                                        f"SKU {chars(r, 3, string.ascii_uppercase)}-{r.randint(1000, 9999)}-X",
                                        f"booking ref {chars(r, 6, string.ascii_uppercase + string.digits)}",
                                        f"VIN 1HG{chars(r, 14, 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789')}"]),
    "network": lambda r: r.choice([f"the server is at 10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
                                   "mac " + ":".join(chars(r, 2, "0123456789abcdef") for _ in range(6)),
                                   f"colour #{chars(r, 6, '0123456789abcdef')} for the logo"]),
    "luhn-ids": lambda r: f"my IMEI is {luhn_complete('35', 15, r)}",
    "keys-not-secret": lambda r: r.choice([f"the S3 key is uploads/{r.randint(2020, 2027)}/05/report-final-v2.pdf",
                                           f"idempotency key: order-{r.randint(2020, 2027)}-05-03-{r.randint(0, 999999):06d}",
                                           f"the cache key is user-{r.randint(1000, 9999)}-profile-v2-2024"]),
    "numbers-in-prose": lambda r: r.choice([f"Our building code {r.randint(1990, 2025)} requires sprinklers",
                                            f"the entry code {r.randint(2000, 2030)} season", f"pin {r.randint(2, 999)} of the connector",
                                            "the new password is sent by email", f"ref RF18{r.randint(10**11, 10**12)}",
                                            f"http://localhost:{r.randint(1024, 65535)}@dev"]),
    "url": lambda r: f"docs at https://example.com/{chars(r, 8, string.ascii_lowercase)}/{r.randint(1, 999)}",
}


def _failing_luhn(rng: random.Random) -> str:
    number = luhn_complete(rng.choice(["4", "51"]), 16, rng)
    return number[:-1] + str((int(number[-1]) + rng.randint(1, 9)) % 10)


def corpus(n: int, rng: random.Random) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """(type, message, secret) and (look-alike type, message), about n of each."""
    kinds = list(SECRET_MAKERS)
    secrets = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        secret = SECRET_MAKERS[kind](rng)
        secrets.append((kind, rng.choice(PHRASES[kind]).format(s=secret), secret))
    names = list(LOOK_ALIKE_MAKERS)
    look_alikes = [(names[i % len(names)], LOOK_ALIKE_MAKERS[names[i % len(names)]](rng)) for i in range(n)]
    return secrets, look_alikes


def accuracy(secrets, look_alikes) -> None:
    found, present = Counter(), Counter()
    for kind, message, secret in secrets:
        present[kind] += 1
        value = secret.split("\n")[1] if kind == "private-key" else secret
        found[kind] += value not in redact(message).text
    changed, total = Counter(), Counter()
    examples: dict[str, str] = {}
    for kind, message in look_alikes:
        total[kind] += 1
        if redact(message).text != message:
            changed[kind] += 1
            examples.setdefault(kind, message)
    print(f"recall: {sum(found.values())}/{sum(present.values())} = {sum(found.values()) / sum(present.values()):.3f}")
    for kind in sorted(present):
        print(f"  {kind:22} {found[kind]:4}/{present[kind]:<4} {found[kind] / present[kind]:.3f}")
    print(f"false positives: {sum(changed.values())}/{sum(total.values())} = "
          f"{sum(changed.values()) / sum(total.values()):.4f}")
    for kind in sorted(total):
        print(f"  {kind:22} {changed[kind]:4}/{total[kind]:<4} {changed[kind] / total[kind]:.3f}"
              + (f"   e.g. {examples[kind]!r}" if kind in examples else ""))


def detection_cost(messages: list[str]) -> float:
    redact("warm up the plugins")
    start = time.perf_counter()
    for message in messages:
        redact(message)
    return (time.perf_counter() - start) / len(messages) * 1000


def ingest_cost(messages: list[str], policy: str) -> float:
    """Seconds per message for `add` with extraction and the bundled models, chunks of 10."""
    from mem0cli import Memory
    from mem0cli.config import Settings
    from mem0cli.models import Message

    with tempfile.TemporaryDirectory() as home:
        memory = Memory(settings=Settings(home=Path(home), secrets=policy))
        memory.add("I live in Oslo.", user_id="warmup")  # model loads are not counted
        start = time.perf_counter()
        for i in range(0, len(messages), 10):
            chunk = [Message("user", m, id=f"m{i + j}") for j, m in enumerate(messages[i : i + 10])]
            memory.add_messages(chunk, scope={"user_id": "bench", "agent_id": None, "run_id": None})
        elapsed = time.perf_counter() - start
        memory.close()
    return elapsed / len(messages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=600, help="secret messages and look-alikes, each")
    parser.add_argument("--ingest", type=int, default=120, help="messages ingested per policy (0 skips)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    secrets, look_alikes = corpus(args.messages, rng)
    accuracy(secrets, look_alikes)
    all_messages = [m for _, m, _ in secrets] + [m for _, m in look_alikes]
    detection_ms = detection_cost(all_messages)
    print(f"detection alone: {detection_ms:.3f} ms per message")
    if args.ingest:
        # look-alikes read the same with or without detection, so extraction does the same work
        # and the difference is detection's own cost (redacted secrets change what is extracted)
        sample = rng.sample([m for _, m in look_alikes], min(args.ingest, len(look_alikes)))
        times = defaultdict(list)
        for _ in range(3):  # alternate, so drift in machine load hits both
            for policy in ("keep", "redact"):
                times[policy].append(ingest_cost(sample, policy))
        keep, with_redaction = min(times["keep"]), min(times["redact"])
        print(f"ingest with extraction ({len(sample)} messages, best of 3): {keep * 1000:.1f} ms/message "
              f"without detection, {with_redaction * 1000:.1f} with ({(with_redaction / keep - 1) * 100:+.1f}%)")
        print(f"detection's own share of an ingest: {detection_ms / (keep * 1000) * 100:.2f}% "
              "(the difference above is mostly machine noise when it is below a few per cent)")


if __name__ == "__main__":
    main()
