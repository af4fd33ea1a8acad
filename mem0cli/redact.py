"""Secrets never become memories: find credentials, card numbers and stated passwords, and redact them.

`redact(text)` returns the text with each secret replaced by a typed placeholder
(`[redacted aws-access-key]`) and the count of each type; the secret itself is kept
nowhere. What is found:

- credentials by their published formats, through detect-secrets' plugins (AWS, Azure
  storage, GitHub, GitLab, Slack, Stripe live keys, OpenAI, JWT, Discord, SendGrid,
  Twilio, npm, PyPI, …), and what they lack: Anthropic, new-style OpenAI and test-mode
  Stripe keys, GitHub fine-grained tokens, Google API keys, Azure client secrets and
  connection-string keys, whole PEM private-key blocks (SSH, RSA, EC, service-account
  JSON), passwords in URLs (`postgres://bob:…@db`);
- passwords, passphrases and PINs stated as such ("my password is …", "the wifi
  password is …", "PIN 4821");
- payment card numbers that pass the Luhn check and start like a card (IIN), and IBANs
  whose checksum holds;
- a random-looking token (long, mixed, high entropy) right after a credential word
  ("api key", "token", "secret", "bearer", …).

Ids, commit hashes, UUIDs, version numbers, phone numbers and dates are left alone
unless a credential word stands right before them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache

from .models import Fact, Message

PLACEHOLDER = "[redacted {}]"
PLACEHOLDER_PATTERN = re.compile(r"\[redacted [a-z0-9-]+\]")

#: detect-secrets plugin -> our type name; plugins for code (keyword, high entropy in quotes),
#: for things that are not secrets (public IPs) and with loose patterns that catch product codes
#: (Artifactory's "AP" + 9 characters) are left out.
LIBRARY_PLUGINS = {
    "aws.AWSKeyDetector": "aws-access-key",
    "azure_storage_key.AzureStorageKeyDetector": "azure-storage-key",
    "github_token.GitHubTokenDetector": "github-token",
    "gitlab_token.GitLabTokenDetector": "gitlab-token",
    "slack.SlackDetector": "slack-token",
    "stripe.StripeDetector": "stripe-key",
    "openai.OpenAIDetector": "openai-api-key",
    "jwt.JwtTokenDetector": "jwt",
    "discord.DiscordBotTokenDetector": "discord-token",
    "sendgrid.SendGridDetector": "sendgrid-key",
    "twilio.TwilioKeyDetector": "twilio-key",
    "npm.NpmDetector": "npm-token",
    "pypi_token.PypiTokenDetector": "pypi-token",
    "mailchimp.MailchimpDetector": "mailchimp-key",
    "square_oauth.SquareOAuthDetector": "square-oauth-secret",
    "telegram_token.TelegramBotTokenDetector": "telegram-token",
    "basic_auth.BasicAuthDetector": "url-password",
}

#: Formats detect-secrets does not know (each pattern's group 1, or the whole match, is the secret).
FORMATS: list[tuple[str, re.Pattern[str]]] = [
    ("private-key", re.compile(
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
        re.DOTALL,
    )),
    ("anthropic-api-key", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}")),
    ("openai-api-key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}")),
    ("stripe-key", re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}")),
    ("github-token", re.compile(r"\b(?:github_pat_[A-Za-z0-9_]{40,}|gh[pousr]_[A-Za-z0-9_]{30,251})")),
    ("gcp-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("azure-client-secret", re.compile(r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}")),
    ("azure-key", re.compile(r"\b(?:AccountKey|SharedAccessKey|SharedAccessSignature)=([A-Za-z0-9+/=%]{20,})")),
    ("url-password", re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]*:([^\s@/]+)@[^\s]")),
    ("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
]

_WORD_START = r"(?<![A-Za-z0-9])"  # a word's start, also after "_" (DB_PASSWORD, AWS_SECRET_ACCESS_KEY)
_LINK = (  # what joins a credential word and its value: is, was, 's, :, =, "to" (changed it to)
    r"(?:[\"']?\s*[:=]\s*|'s\s+|\s+(?:is|was|are)(?:\s+(?:now|still|currently|set to|changed to))?\s*[:=]?\s+"
    r"|\s+(?:to|now)\s+)"
)
_QUALIFIER = r"(?:\s+(?:for|of|on|to)\s+(?:[\w.-]+\s+){0,2}[\w.@-]+|\s+(?:i|we|you)\s+\w+(?:\s+\w+)?)?"
#: "password is X", "wifi password: X", "DB_PASSWORD=X", "changed my password to X", "the password I use
#: is X" (the value: group 1 when quoted, which may hold spaces, else group 2).
STATED_PASSWORD = re.compile(
    rf"(?i){_WORD_START}(?:password|passwd|passcode|passphrase|pass phrase|pwd|pw|pass(?=\s*[:=]))s?(?![A-Za-z0-9])"
    rf"{_QUALIFIER}{_LINK}"
    r"(?:[\"'“‘`]([^\"'”’`\n]{3,80})[\"'”’`]|([^\s\"'”’`]{3,}?)(?=[.,;)]*(?:\s|$)))"
)
#: "password Welcome1!" with no linking word: only a value that does not read as a word.
BARE_PASSWORD = re.compile(
    rf"(?i){_WORD_START}(?:password|passcode|passphrase|pwd)(?![A-Za-z0-9])\s+"
    r"((?=[^\s]*[0-9!@#$%^&*])[^\s\"'”’`]{6,})(?=[.,;)]*(?:\s|$))"
)
#: curl -u user:password, and "user / pass" style pairs are in STATED_PASSWORD ("pass:").
CURL_USER = re.compile(r"(?<!\S)(?:-u|--user)\s+[^\s:]+:(\S{3,})(?=\s|$)")
STATED_PIN = re.compile(
    r"(?:(?i:cvv2?|cvc|security code)\s*(?:is|was|:|=|#)?\s*(\d{3,4})(?!\d)"
    r"|\bPIN(?:\s+(?:code|number))?(?:'s|\s+(?:is|was))?\s*[:=#]?\s*(\d{4,8})(?!\d)"
    r"|(?i:\bpin(?:\s+(?:code|number))?|(?:door|gate|alarm|lock|lockbox|safe|garage|entry|access|verification|"
    r"2fa|otp|one-time|unlock|phone|atm|card)\s+(?:code|pin))(?:'s\s+|\s+(?:is|was)(?:\s+now)?\s+|\s*[:=]\s*)"
    r"(\d{4,8})(?!\d)(?=[.,;)!]*(?:\s|$)))"
)
#: Words that follow "password is" without being one ("my password is too short").
NOT_A_PASSWORD = frozenset(
    """the a an my your our their his her its this that it in on at of for to with from by not no
    same different wrong right correct incorrect invalid too very still also now just stored saved
    expired changed reset long short weak strong required needed missing written shared here there
    below above attached set case-sensitive protected secure safe hard easy simple complicated
    something nothing what which where when why how and or but so if as be been being
    lost forgotten unknown new old bad good great terrible awful fine ok okay valid empty blank
    similar obvious predictable random unique temporary permanent mandatory optional useless
    complex insecure weird silly stupid dumb easy-to-guess guessable sent kept given shown hidden
    see use manager managers""".split()
)

CREDENTIAL_CONTEXT = re.compile(
    rf"(?i){_WORD_START}(?:api[ _-]?key|access[ _-]?key(?:[ _-]?id)?|secret(?:[ _-]?(?:access[ _-]?)?key)?|"
    r"(?:auth|access|refresh|bearer|session|personal access|api|bot)[ _-]?token|token|bearer|"
    r"client[ _-]?secret|private[ _-]?key[ _-]?id|signing[ _-]?key|credentials?|license[ _-]?key|"
    r"webhook[ _-]?secret|encryption[ _-]?key|master[ _-]?key|private[ _-]?key|"
    r"key(?=\s*(?:is|was|[:=])))(?![A-Za-z0-9])[\"']?"
    rf"{_QUALIFIER}"
    r"\s*(?:\s(?:is|was|are)\s*[:=]?\s+(?:now\s+)?|[:=]\s*|\s)[\"'`]?([A-Za-z0-9][A-Za-z0-9_\-+/=.]{15,}[A-Za-z0-9=])"
)

CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
#: Countries that issue IBANs, with their lengths (SWIFT's registry).
IBAN_LENGTHS = dict(
    item.split(":") for item in (
        "AD:24 AE:23 AL:28 AT:20 AZ:28 BA:20 BE:16 BG:22 BH:22 BR:29 BY:28 CH:21 CR:22 CY:28 CZ:24 DE:22 "
        "DK:18 DO:28 EE:20 EG:29 ES:24 FI:18 FO:18 FR:27 GB:22 GE:22 GI:23 GL:18 GR:27 GT:28 HR:21 HU:28 "
        "IE:22 IL:23 IQ:23 IS:26 IT:27 JO:30 KW:30 KZ:20 LB:28 LC:32 LI:21 LT:20 LU:20 LV:21 MC:27 MD:24 "
        "ME:22 MK:19 MR:27 MT:31 MU:30 NL:18 NO:15 PK:24 PL:28 PS:29 PT:25 QA:29 RO:24 RS:22 SA:24 SC:31 "
        "SE:24 SI:19 SK:24 SM:27 ST:25 SV:28 TL:23 TN:24 TR:26 UA:29 VA:22 VG:24 XK:20"
    ).split()
)
#: Numbers that pass the Luhn check without being cards: IMEIs, serials, parcels.
NOT_A_CARD = re.compile(
    r"(?i)\b(?:imei|serial|s/n|sn|tracking|parcel|isbn|order|invoice)\b[\s#:.]*(?:(?:is|number|no|nr)[\s#:.]*)*$"
)


@dataclass(frozen=True)
class Span:
    """Where a secret of one type sits in a text: [start, end)."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Redaction:
    """A text with its secrets replaced, and how many of each type were found."""

    text: str
    counts: Counter

    @property
    def found(self) -> int:
        return sum(self.counts.values())


def redact(text: str) -> Redaction:
    """`text` with each secret replaced by `[redacted <type>]` (every occurrence of its value)."""
    spans = _merged(find_secrets(text))
    if not spans:
        return Redaction(text, Counter())
    out, last = [], 0
    for span in spans:
        out.append(text[last : span.start])
        out.append(PLACEHOLDER.format(span.kind))
        last = span.end
    out.append(text[last:])
    return Redaction("".join(out), Counter(span.kind for span in spans))


def find_secrets(text: str) -> list[Span]:
    """Every secret found in `text`, possibly overlapping (`redact` merges them). A secret's
    value is found wherever it occurs in the text, not only where its context named it."""
    if not text or len(text) < 4:
        return []
    spans: list[Span] = []
    values: dict[str, str] = {}  # value -> type: every occurrence is redacted
    _library(text, spans, values)
    for kind, pattern in FORMATS:
        for match in pattern.finditer(text):
            if _a_port(kind, match.group(pattern.groups and 1)):
                continue
            if pattern.groups or kind == "private-key":
                group = 1 if pattern.groups else 0
                spans.append(Span(kind, match.start(group), match.end(group)))
            else:  # a key format: the whole token
                values.setdefault(match.group(), kind)
    _stated(text, spans, values)
    spans += _numbers(text)
    for match in CREDENTIAL_CONTEXT.finditer(text):
        if _random_looking(match.group(1)):
            values.setdefault(match.group(1), "credential")
    for value, kind in values.items():
        spans += _occurrences(text, kind, value)
    return spans


def placeholder_only(text: str) -> bool:
    """Whether a redacted fact says nothing once its secret is gone ("User's AWS key is [redacted …]").

    True when a placeholder ends the sentence after a linking word (is, are, was, :, =), or
    when nothing but the subject, credential words and placeholders is left.
    """
    if not PLACEHOLDER_PATTERN.search(text):
        return False
    ending = re.search(r"(?i)(?:\b(?:is|are|was|were|be|equals|reads)|[:=])\s*(?:\[redacted [a-z0-9-]+\][\s,;]*)+\.?\s*$", text)
    if ending:
        return True
    rest = PLACEHOLDER_PATTERN.sub(" ", text)
    words = re.findall(r"[A-Za-z]+", rest)
    content = [w for w in words[1:] if w.lower() not in _SECRET_WORDS]
    return not content


_SECRET_WORDS = frozenset(
    """s is are was were the a an my his her their its of for and to with has have uses use
    key keys access secret password passwords passcode pin code token tokens api card bank credit
    debit number account iban aws gcp azure github gitlab slack stripe openai anthropic private ssh
    wifi wi fi login credentials credential jwt bearer""".split()
)


# -- detectors ---------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _plugins() -> list[tuple[str, object]]:
    """detect-secrets' format plugins, imported on first use (a quarter of a second)."""
    import importlib

    plugins = []
    for path, kind in LIBRARY_PLUGINS.items():
        module_name, class_name = path.rsplit(".", 1)
        module = importlib.import_module(f"detect_secrets.plugins.{module_name}")
        plugins.append((kind, getattr(module, class_name)()))
    return plugins


def _library(text: str, spans: list[Span], values: dict[str, str]) -> None:
    """Where detect-secrets' patterns match: the whole match, or the captured value when the
    pattern captures it after a prefix (a URL's password, an assignment's right side)."""
    for kind, plugin in _plugins():
        if type(plugin).analyze_string is not _regex_analyze():  # it validates (JWT): use its values
            for value in plugin.analyze_string(text):  # type: ignore[attr-defined]
                if isinstance(value, str) and len(value.strip()) >= 4:
                    values.setdefault(value.strip(), kind)
            continue
        for pattern in plugin.denylist:  # type: ignore[attr-defined]
            for match in pattern.finditer(text):
                inner = pattern.groups and match.start(1) > match.start(0)
                start, end = (match.start(1), match.end(1)) if inner else (match.start(), match.end())
                while start < end and text[start] in _EDGE:  # patterns that take the space or quote before
                    start += 1
                while end > start and text[end - 1] in _EDGE:
                    end -= 1
                if end - start >= 4 and not _a_port(kind, text[start:end]):
                    values.setdefault(text[start:end], kind)


def _a_port(kind: str, value: str) -> bool:
    """A URL "password" of up to 5 digits is host:port@, not user:password@."""
    return kind == "url-password" and bool(re.fullmatch(r"\d{1,5}", value))


@lru_cache(maxsize=1)
def _regex_analyze():
    from detect_secrets.plugins.base import RegexBasedDetector

    return RegexBasedDetector.analyze_string


_EDGE = " \t\n\"'=:"
_TOKEN_CHAR = re.compile(r"[A-Za-z0-9_\-+/=.]")


def _occurrences(text: str, kind: str, value: str) -> list[Span]:
    """Each place `value` occurs, widened to the whole token around it (a JWT's signature)."""
    spans = []
    start = text.find(value)
    while start >= 0:
        end = start + len(value)
        if kind != "url-password":
            while end < len(text) and _TOKEN_CHAR.match(text[end]) and not text[end : end + 2].startswith(". "):
                end += 1
            end = end - 1 if text[end - 1] == "." else end
        spans.append(Span(kind, start, end))
        start = text.find(value, end)
    return spans


def _stated(text: str, spans: list[Span], values: dict[str, str]) -> None:
    """Passwords and PINs stated as such; a password of 6 characters or more is redacted
    wherever it occurs, a shorter one where it was stated."""
    found = []
    for match in STATED_PASSWORD.finditer(text):
        group = 1 if match.group(1) is not None else 2
        if _a_password(match.group(group), quoted=group == 1, rest=text[match.end(group) :]):
            found.append((match.start(group), match.end(group)))
    for pattern in (BARE_PASSWORD, CURL_USER):
        found += [(m.start(1), m.end(1)) for m in pattern.finditer(text) if not m.group(1).startswith("[redacted")]
    for start, end in found:
        if end - start >= 6:
            values.setdefault(text[start:end], "password")
        else:
            spans.append(Span("password", start, end))
    for match in STATED_PIN.finditer(text):
        group = next(g for g in (1, 2, 3) if match.group(g) is not None)
        spans.append(Span("pin", match.start(group), match.end(group)))


def _a_password(value: str, *, quoted: bool, rest: str) -> bool:
    """A stated password's value, not a word about it ("too short", "sent by email"): a plain
    lower-case word counts only when quoted or when it ends the clause ("it is sunshine.")."""
    if value.startswith("[redacted") or value.lower() in NOT_A_PASSWORD:
        return False
    if quoted or not re.fullmatch(r"[a-z]+", value):
        return True
    return not re.fullmatch(r"[a-z]+(?:ing|ed|ly)", value) and bool(re.match(r"[.,;!?)]*\s*(?:$|[.,;!?\n])", rest))


def _numbers(text: str) -> list[Span]:
    spans = []
    for match in CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if NOT_A_CARD.search(text[max(0, match.start() - 24) : match.start()]):
            continue
        if 13 <= len(digits) <= 19 and _card_prefix(digits) and _luhn(digits):
            spans.append(Span("payment-card", match.start(), match.end()))
    for match in IBAN.finditer(text):
        if _iban_valid(match.group()):
            spans.append(Span("iban", match.start(), match.end()))
    return spans


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_prefix(digits: str) -> bool:
    """Starts as Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay or Maestro numbers do."""
    two, four = int(digits[:2]), int(digits[:4])
    return (
        digits[0] == "4" or 51 <= two <= 55 or 2221 <= four <= 2720 or two in (34, 37, 36, 38, 30, 35, 62)
        or digits.startswith(("6011", "65", "644", "645", "646", "647", "648", "649", "50", "56", "57", "58", "6304"))
    )


def _iban_valid(raw: str) -> bool:
    iban = raw.replace(" ", "")
    if IBAN_LENGTHS.get(iban[:2]) != str(len(iban)):
        return False
    moved = iban[4:] + iban[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def _random_looking(token: str) -> bool:
    """Long, of mixed characters and high entropy: a key, not a word or a version."""
    if len(token) < 16 or re.fullmatch(r"[A-Za-z]+", token) or re.fullmatch(r"[\d.\-]+", token):
        return False
    segments = [part for part in re.split(r"[-_/.]", token) if len(part) >= 3]
    if len(segments) > 1 and all(part.isalpha() or part.isdigit() for part in segments):
        return False  # words and numbers joined: a path, a slug, a dated id, not a key
    classes = sum(bool(re.search(p, token)) for p in (r"[a-z]", r"[A-Z]", r"\d"))
    counts = Counter(token)
    entropy = -sum(n / len(token) * math.log2(n / len(token)) for n in counts.values())
    return classes >= 2 and entropy >= 3.0


GENERIC_KINDS = ("credential", "password")


def _merged(spans: list[Span]) -> list[Span]:
    """Overlapping spans joined, sorted by position; a format's name wins over a generic one."""
    out: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if out and span.start < out[-1].end:
            last = out[-1]
            kind = span.kind if last.kind in GENERIC_KINDS and span.kind not in GENERIC_KINDS else last.kind
            out[-1] = Span(kind, last.start, max(last.end, span.end))
        else:
            out.append(span)
    return out


# -- the add pipeline's step ---------------------------------------------------------------
def redact_messages(messages: list[Message]) -> tuple[list[Message], list[Counter]]:
    """Messages with their secrets redacted, and what was found in each."""
    out, counts = [], []
    for message in messages:
        found = redact(message.content)
        out.append(replace(message, content=found.text) if found.found else message)
        counts.append(found.counts)
    return out, counts


def redact_facts(facts: list[Fact]) -> tuple[list[Fact], Counter, int]:
    """Facts with secrets redacted; a fact that said nothing but a secret is dropped.
    Returns (facts kept, secrets found in them, facts dropped)."""
    kept, counts, dropped = [], Counter(), 0
    for fact in facts:
        found = redact(fact.text)
        counts += found.counts
        if placeholder_only(found.text):
            dropped += 1
            continue
        kept.append(replace(fact, text=found.text) if found.found else fact)
    return kept, counts, dropped


def describe(counts: Counter) -> str:
    """"3 secrets redacted (2 password, 1 aws-access-key)": types and counts, never values."""
    total = sum(counts.values())
    kinds = ", ".join(f"{n} {kind}" for kind, n in counts.most_common())
    return f"{total} secret{'s' if total != 1 else ''} redacted ({kinds})"
