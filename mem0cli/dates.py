"""Relative dates in a clause, resolved against when the clause was said.

`resolve_dates("I passed my test yesterday", "2024-10-01T16:20")` gives
"I passed my test on 30 September 2024". Pure functions, no clock: the
reference is always the message's `created_at`, so a transcript imported a
year later still resolves to the day the user meant.

Written forms: a day is "7 May 2023", a month "March 2025", a season
"summer 2022", a year "2024". Whether a bare "in March" or "on Monday" points
back or forward is decided by the clause's tense (`is_past_tense`).
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta

MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
MONTHS["sept"] = 9
WEEKDAYS = {d.lower(): i for i, d in enumerate(calendar.day_name)}
SEASONS = ("spring", "summer", "autumn", "fall", "winter")
_SEASON_START = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}

_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2,
    "a few": 3, "couple of": 2, "few": 3,
}
_NUM = r"(?:\d{1,3}|a couple of|a few|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY_RE = "|".join(WEEKDAYS)
_ORD = r"(\d{1,2})(?:st|nd|rd|th)?"

_IRREGULAR_PAST = frozenset(
    """was were had did got went came ran began bought sold gave took made left lost
    met quit felt found became broke spent sent told thought said saw knew wrote grew
    moved passed""".split()
)
_ED_NOT_PAST = frozenset(
    """need interested married tired allergic excited scared worried based engaged
    retired used supposed called named red bed shed""".split()
)


def parse_when(value: str | date | datetime | None) -> date | None:
    """The calendar day of an ISO 8601 timestamp (or date); None when absent or unreadable."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        match = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return None
    return None


def format_day(d: date) -> str:
    return f"{d.day} {calendar.month_name[d.month]} {d.year}"


def format_month(year: int, month: int) -> str:
    return f"{calendar.month_name[month]} {year}"


def is_past_tense(text: str) -> bool:
    """Whether a clause reads as past tense: a rough, cheap test for dating bare phrases."""
    for word in re.findall(r"[a-z']+", text.lower()):
        if word in _IRREGULAR_PAST:
            return True
        if word.endswith("ed") and len(word) > 4 and word not in _ED_NOT_PAST:
            return True
    return False


def _add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _number(token: str) -> int:
    token = token.lower().strip()
    if token.isdigit():
        return int(token)
    return _NUMBERS.get(token, 1)


def _next_weekday(ref: date, weekday: int, *, include_today: bool = False) -> date:
    ahead = (weekday - ref.weekday()) % 7
    if ahead == 0 and not include_today:
        ahead = 7
    return ref + timedelta(days=ahead)


def _last_weekday(ref: date, weekday: int) -> date:
    back = (ref.weekday() - weekday) % 7 or 7
    return ref - timedelta(days=back)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_day(ref: date, month: int, day: int, past: bool) -> date | None:
    """The occurrence of month/day nearest in the clause's direction."""
    this_year = _safe_date(ref.year, month, day)
    if this_year is None:
        return None
    if past:
        return this_year if this_year <= ref else _safe_date(ref.year - 1, month, day)
    return this_year if this_year >= ref else _safe_date(ref.year + 1, month, day)


def _day_of_month(ref: date, day: int) -> date | None:
    """A bare "the 23rd": this month if still ahead, else next month."""
    if day >= ref.day:
        found = _safe_date(ref.year, ref.month, day)
        if found:
            return found
    year, month = _add_months(ref.year, ref.month, 1)
    return _safe_date(year, month, day)


def _season(ref: date, season: str, which: str, past: bool) -> str:
    start = _SEASON_START[season]
    name = "autumn" if season == "fall" else season
    year = ref.year
    # the season's year is the year it starts in; a winter starting in December
    current_started = (ref.month >= start) if start != 12 else ref.month == 12
    in_season = _in_season(ref, start)
    if which == "last":
        if in_season or not current_started:
            year -= 1
        if start == 12 and ref.month < 3:
            year = ref.year - 2 if in_season else ref.year - 1
    elif which == "next":
        if current_started or in_season:
            year += 1
    else:  # "this" or bare: past tense points back, else the coming (or current) one
        if start == 12 and ref.month < 3:
            year = ref.year - 1
        elif past and not current_started:
            year -= 1
        elif not past and current_started and not in_season:
            year += 1
    return f"{name} {year}"


def _in_season(ref: date, start: int) -> bool:
    months = [(start + i - 1) % 12 + 1 for i in range(3)]
    return ref.month in months


class _Resolver:
    def __init__(self, ref: date, past: bool) -> None:
        self.ref = ref
        self.past = past

    def day(self, d: date | None, prep: str | None, default_prep: str = "on") -> str | None:
        if d is None:
            return None
        return f"{prep or default_prep} {format_day(d)}"


def resolve_dates(text: str, when: str | date | datetime | None) -> str:
    """Rewrite relative date phrases in `text` as absolute dates relative to `when`.

    Unknown `when` leaves the text unchanged. Recurring phrases ("every Monday",
    "on Tuesdays") are left alone: they are not dates.
    """
    ref = parse_when(when)
    if ref is None or not text:
        return text
    past = is_past_tense(text)
    out = text
    for pattern, handler in _RULES:
        out = pattern.sub(lambda m, handler=handler: handler(m, ref, past) or m.group(0), out)
    return re.sub(r"\s{2,}", " ", out).strip()


_PREP = r"(?:\b(?P<prep>since|until|till|by|from|before|after|on|in|of)\s+)?"


def _p(m: re.Match[str], default: str = "on") -> str:
    prep = m.groupdict().get("prep")
    return (prep + " ") if prep else (default + " " if default else "")


def _h_day_after_tomorrow(m: re.Match[str], ref: date, past: bool) -> str:
    return _p(m) + format_day(ref + timedelta(days=2))


def _h_day_before_yesterday(m: re.Match[str], ref: date, past: bool) -> str:
    return _p(m) + format_day(ref - timedelta(days=2))


def _h_week_from(m: re.Match[str], ref: date, past: bool) -> str:
    n = _number(m["n"])
    unit = 7 if m["unit"].startswith("week") else 1
    base = ref + timedelta(days=1 if m["base"] == "tomorrow" else 0)
    return _p(m) + format_day(base + timedelta(days=n * unit))


def _h_simple_day(m: re.Match[str], ref: date, past: bool) -> str | None:
    word = m["word"].lower()
    offset = {"yesterday": -1, "today": 0, "tomorrow": 1}[word]
    if word == "today" and not past and not m.groupdict().get("prep"):
        return None  # "I'm tired today": a transient state, left for the filters to see
    return _p(m) + format_day(ref + timedelta(days=offset))


def _h_ago(m: re.Match[str], ref: date, past: bool) -> str | None:
    n = _number(m["n"])
    unit = m["unit"].lower().rstrip("s")
    prep = _p(m)
    if unit == "day":
        return prep + format_day(ref - timedelta(days=n))
    if unit == "week":
        return "around " + format_day(ref - timedelta(days=7 * n))
    if unit == "month":
        year, month = _add_months(ref.year, ref.month, -n)
        return _p(m, "in") + format_month(year, month)
    if unit == "year":
        return _p(m, "in") + str(ref.year - n)
    return None


def _h_in_n(m: re.Match[str], ref: date, past: bool) -> str | None:
    n = _number(m["n"])
    unit = m["unit"].lower().rstrip("s")
    if unit == "day":
        return "on " + format_day(ref + timedelta(days=n))
    if unit == "week":
        return "around " + format_day(ref + timedelta(days=7 * n))
    if unit == "month":
        year, month = _add_months(ref.year, ref.month, n)
        return "in " + format_month(year, month)
    if unit == "year":
        return "in " + str(ref.year + n)
    return None


def _h_weekday_after_next(m: re.Match[str], ref: date, past: bool) -> str:
    d = _next_weekday(ref, WEEKDAYS[m["wd"].lower()]) + timedelta(days=7)
    return _p(m) + format_day(d)


def _h_rel_weekday(m: re.Match[str], ref: date, past: bool) -> str:
    which = m["which"].lower()
    weekday = WEEKDAYS[m["wd"].lower()]
    if which == "last":
        d = _last_weekday(ref, weekday)
    elif which == "this":
        d = _last_weekday(ref, weekday) if past else _next_weekday(ref, weekday, include_today=True)
    else:  # next, coming
        d = _next_weekday(ref, weekday)
    return _p(m) + format_day(d)


def _h_bare_weekday(m: re.Match[str], ref: date, past: bool) -> str:
    weekday = WEEKDAYS[m["wd"].lower()]
    d = _last_weekday(ref, weekday) if past else _next_weekday(ref, weekday)
    return _p(m) + format_day(d)


def _h_rel_period(m: re.Match[str], ref: date, past: bool) -> str | None:
    which = m["which"].lower()
    unit = m["unit"].lower()
    delta = {"last": -1, "next": 1, "this": 0, "the following": 1, "the previous": -1}[which]
    prep = m.groupdict().get("prep")
    if unit == "week":
        monday = ref - timedelta(days=ref.weekday()) + timedelta(days=7 * delta)
        return f"{prep + ' ' if prep else 'in '}the week of {format_day(monday)}"
    if unit == "weekend":
        saturday = _next_weekday(ref, 5, include_today=True) if delta >= 0 else _last_weekday(ref, 5)
        if delta == 1 and ref.weekday() >= 5:
            saturday = _next_weekday(ref, 5)
        elif delta == 1:
            saturday += timedelta(days=7)
        return f"{prep + ' ' if prep else 'on '}the weekend of {format_day(saturday)}"
    if unit == "month":
        year, month = _add_months(ref.year, ref.month, delta)
        return f"{prep + ' ' if prep else 'in '}{format_month(year, month)}"
    if unit == "year":
        return f"{prep + ' ' if prep else 'in '}{ref.year + delta}"
    return None


def _h_nth_of_rel_month(m: re.Match[str], ref: date, past: bool) -> str | None:
    delta = {"next": 1, "last": -1, "this": 0}[m["which"].lower()]
    year, month = _add_months(ref.year, ref.month, delta)
    return _Resolver(ref, past).day(_safe_date(year, month, int(m["day"])), m.groupdict().get("prep"))


def _h_end_of_rel(m: re.Match[str], ref: date, past: bool) -> str | None:
    which = m["which"].lower()
    unit = m["unit"].lower()
    delta = {"next": 1, "last": -1, "this": 0}[which]
    if unit == "month":
        year, month = _add_months(ref.year, ref.month, delta)
        return f"{m['edge']} of {format_month(year, month)}"
    if unit == "year":
        return f"{m['edge']} of {ref.year + delta}"
    return None


def _h_season(m: re.Match[str], ref: date, past: bool) -> str:
    which = (m["which"] or "").lower()
    which = {"last": "last", "next": "next", "this": "this", "the": ""}.get(which, "")
    season = m["season"].lower()
    prep = m.groupdict().get("prep")
    lead = f"{prep} " if prep else ("" if m["which"].lower() == "the" else "in ")
    return f"{lead}{_season(ref, season, which, past)}"


def _h_month(m: re.Match[str], ref: date, past: bool) -> str | None:
    which = (m["which"] or "").lower()
    month = MONTHS[m["month"].lower().rstrip(".")]
    if which == "next":
        year = ref.year + 1 if month <= ref.month else ref.year
    elif which == "last":
        year = ref.year - 1 if month >= ref.month else ref.year
    elif which == "this":
        year = ref.year
    elif past:
        year = ref.year if month <= ref.month else ref.year - 1
    else:
        year = ref.year if month >= ref.month else ref.year + 1
    lead = m["lead"]
    return f"{lead} {format_month(year, month)}"


def _h_month_day(m: re.Match[str], ref: date, past: bool) -> str | None:
    month = MONTHS[m["month"].lower().rstrip(".")]
    d = _month_day(ref, month, int(m["day"]), past)
    if d is None:
        return None
    return (m.groupdict().get("prep") + " " if m.groupdict().get("prep") else "") + format_day(d)


def _h_day_month(m: re.Match[str], ref: date, past: bool) -> str | None:
    month = MONTHS[m["month"].lower().rstrip(".")]
    d = _month_day(ref, month, int(m["day"]), past)
    if d is None:
        return None
    return (m.groupdict().get("prep") + " " if m.groupdict().get("prep") else "") + format_day(d)


def _h_bare_nth(m: re.Match[str], ref: date, past: bool) -> str | None:
    d = _day_of_month(ref, int(m["day"]))
    if d is None:
        return None
    return f"{m['prep']} {format_day(d)}"


def _h_quarter(m: re.Match[str], ref: date, past: bool) -> str:
    q = int(m["q"])
    year = ref.year if q >= (ref.month - 1) // 3 + 1 or past else ref.year + 1
    return f"{m['head']}Q{q} {year}"


_I = re.I
_YEAR_AFTER = r"(?!,?\s*\d{4})"
_RULES: list[tuple[re.Pattern[str], object]] = [
    (re.compile(_PREP + r"\bthe day after tomorrow\b", _I), _h_day_after_tomorrow),
    (re.compile(_PREP + r"\bthe day before yesterday\b", _I), _h_day_before_yesterday),
    (re.compile(_PREP + rf"\b(?P<n>{_NUM})\s+(?P<unit>weeks?|days?)\s+from\s+(?P<base>tomorrow|today|now)\b", _I), _h_week_from),
    (re.compile(_PREP + rf"\b(?P<n>{_NUM})\s+(?P<unit>days?|weeks?|months?|years?)\s+ago\b", _I), _h_ago),
    (re.compile(rf"\bin\s+(?P<n>{_NUM})\s+(?P<unit>days?|weeks?|months?|years?)(?:'s)?(?:\s+time)?\b", _I), _h_in_n),
    (re.compile(_PREP + rf"\bthe\s+(?P<wd>{_WEEKDAY_RE})\s+after\s+next\b", _I), _h_weekday_after_next),
    (re.compile(_PREP + rf"\b(?P<which>last|next|this|coming|this coming)\s+(?P<wd>{_WEEKDAY_RE})\b(?!s)(?!\s+(?:mornings?|evenings?|nights?|afternoons?))", _I), _h_rel_weekday),
    (re.compile(r"\b(?:the\s+)?(?P<edge>end|start|beginning|middle)\s+of\s+(?P<which>next|last|this)\s+(?P<unit>month|year)\b", _I), _h_end_of_rel),
    (re.compile(_PREP + r"\b(?:the\s+)?" + _ORD.replace("(\\d", "(?P<day>\\d", 1) + r"\s+of\s+(?P<which>next|last|this)\s+month\b", _I), _h_nth_of_rel_month),
    (re.compile(_PREP + r"\b(?P<which>last|next|this|the following|the previous)\s+(?P<unit>week|weekend|month|year)\b", _I), _h_rel_period),
    (re.compile(_PREP + r"\b(?P<word>yesterday|today|tomorrow)\b(?!'s)", _I), _h_simple_day),
    (re.compile(_PREP + rf"\b(?P<which>last|next|this|the)\s+(?P<season>{'|'.join(SEASONS)})\b(?!\s+(?:of\s+)?\d{{4}})(?!\s+(?:break|holidays?|term|semester|school|camp|clothes|coat|tyres|tires))", _I), _h_season),
    (re.compile(r"\b(?P<head>(?:end|start|beginning|middle) of )(?:the )?Q(?P<q>[1-4])\b(?!\s*\d{4})", _I), _h_quarter),
    (re.compile(_PREP + rf"\b(?P<month>{_MONTH_RE})\.?\s+" + _ORD.replace("(\\d", "(?P<day>\\d", 1) + r"\b" + _YEAR_AFTER, _I), _h_month_day),
    (re.compile(_PREP + r"\b(?:the\s+)?" + _ORD.replace("(\\d", "(?P<day>\\d", 1) + rf"(?:\s+of)?\s+(?P<month>{_MONTH_RE})\b\.?" + _YEAR_AFTER, _I), _h_day_month),
    (re.compile(rf"\b(?P<lead>in|since|until|till|by|from|before|after|of|end of|start of|early|late|mid)\s+(?:(?P<which>next|last|this)\s+)?(?P<month>{_MONTH_RE})\b(?!\s*\d)", _I), _h_month),
    (re.compile(rf"\b(?P<which>next|last)\s+(?P<month>{_MONTH_RE})\b(?!\s*\d)", _I), lambda m, r, p: _h_month_lead(m, r, p)),
    (re.compile(r"(?<!due )\b(?P<prep>on|until|till|by|from|before|after)\s+the\s+(?P<day>\d{1,2})(?:st|nd|rd|th)\b(?!\s+(?:of|floor|century|birthday|anniversary|time|place|grade))", _I), _h_bare_nth),
    (re.compile(rf"\b(?P<prep>on|this|last|next|from|until|till|by|since)\s+(?P<wd>{_WEEKDAY_RE})\b(?!s)(?!\s+(?:mornings|evenings|nights|afternoons))", _I), lambda m, r, p: _h_bare_weekday_prep(m, r, p)),
]


def _h_month_lead(m: re.Match[str], ref: date, past: bool) -> str | None:
    month = MONTHS[m["month"].lower()]
    if len(m["month"]) < 3 or m["month"].lower() == "may" and m["month"] == "may":
        return None
    if m["which"].lower() == "next":
        year = ref.year + 1 if month <= ref.month else ref.year
    else:
        year = ref.year - 1 if month >= ref.month else ref.year
    return f"in {format_month(year, month)}"


def _h_bare_weekday_prep(m: re.Match[str], ref: date, past: bool) -> str | None:
    prep = m["prep"].lower()
    if prep in {"this", "last", "next"}:
        return None  # handled by the relative rule
    weekday = WEEKDAYS[m["wd"].lower()]
    if prep == "since":
        past = True
    d = _last_weekday(ref, weekday) if past else _next_weekday(ref, weekday)
    return f"{m['prep']} {format_day(d)}"
