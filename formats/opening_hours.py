"""A tolerant parser for the part of OSM ``opening_hours`` that AED data uses.

Understood: ``24/7``; weekday selectors (``Mo-Fr``, ``Sa,Su``, ``Fr-Mo`` wrapping the week);
several time spans (``08:00-12:00,13:00-17:00``), spans past midnight (``22:00-02:00``);
``off``/``closed``; rules separated by ``;`` (a later rule replaces the days it names) or by
``,`` before a weekday (it adds to them); quoted comments, which are ignored.

Public holidays (``PH off``, ``PH 10:00-17:00``, ``Mo-Fr,PH 08:00-12:00``; German
``Feiertags``) are a day of their own, weekday 8, which applies on the days of
``rc.public_holiday`` to an AED whose value has such rules (``holiday_rule``).

Tolerated, each with a note in ``problems``: German day names (Di, Mi, Do, So), the word
``Uhr``, ``1. Do im Monat``, ``7:30`` / ``6.00`` / bare hours (``10-18``), spaces around
dashes, a colon after the days. School-holiday rules (``SH``) and rules for the n-th weekday of
a month (``Th[1]``) are skipped: the regular weekday hours apply then (skipping only ever hides
extra hours, except ``Th[1] off``, which makes the whole value unreadable). Fallback rules
(``||``) are skipped. Anything else (sunrise, months, dates, weeks, open ends ``18:00+``, free
text) makes the value ``malformed``: the AED's hours are then unknown, and it is not counted as
available.

The result is a weekly table (plus the holiday day), what ``rc.aed_opening`` stores: parsing
happens when the value is written, so SQL can answer "open at this time?" without a parser.
"""

import re
from dataclasses import dataclass, field
from typing import Literal

MINUTES_PER_DAY = 1440
HOLIDAY = 8  # the "weekday" of public holidays in intervals and rc.aed_opening
DAY_NUMBERS = {"mo": 1, "tu": 2, "we": 3, "th": 4, "fr": 5, "sa": 6, "su": 7}
# Spellings that are not OSM's but mean one day unambiguously (German, English).
DAY_ALIASES = {
    "di": 2, "mi": 3, "do": 4, "so": 7,
    "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7,
    "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6,
    "sunday": 7, "montag": 1, "dienstag": 2, "mittwoch": 3, "donnerstag": 4, "freitag": 5,
    "samstag": 6, "sonntag": 7,
}
HOLIDAYS = {"ph", "sh", "feiertags", "feiertag", "feiertage"}
OFF_WORDS = {"off", "closed", "geschlossen"}

State = Literal["always", "schedule", "malformed"]
Span = tuple[int, int]

_TOKEN = re.compile(r"""
    (?P<comment>"[^"]*")
  | (?P<always>24/7)
  | (?P<time>\d{1,2}(?:[:.]\d{2})?)
  | (?P<word>[^\W\d_]+)
  | (?P<fallback>\|\|)
  | (?P<punct>[-,;:\[\]+])
  | (?P<space>\s+)
  | (?P<other>.)
""", re.VERBOSE)
_NTH_IN_MONTH = re.compile(r"(\d)\.\s*([^\W\d_]+)\s+im\s+Monat", re.IGNORECASE)
_UHR = re.compile(r"\bUhr\b", re.IGNORECASE)
_DASHES = str.maketrans({"–": "-", "—": "-", "−": "-"})


class Malformed(ValueError):
    """The value cannot be read; the message says where."""


@dataclass(frozen=True)
class Interval:
    """Open from ``opens_min`` to ``closes_min`` (minutes after local midnight) on ``weekday``
    (ISO: 1 Monday ... 7 Sunday; 8 public holidays); ``closes_min`` > 1440 runs into the
    next day."""

    weekday: int
    opens_min: int
    closes_min: int


@dataclass(frozen=True)
class OpeningHours:
    """A parsed value: ``always`` open, a weekly ``schedule`` (no intervals: never open), or
    ``malformed``; ``problems`` holds the notes on tolerated oddities, and for a malformed
    value the reason first."""

    state: State
    intervals: tuple[Interval, ...] = ()
    problems: tuple[str, ...] = ()
    holiday_rule: bool = False   # weekday 8 holds the hours of public holidays


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str


@dataclass
class _Rule:
    separator: str
    days: set[int] = field(default_factory=set)
    holidays: bool = False      # public holidays (PH, Feiertag)
    school: bool = False        # school holidays (SH): not modelled
    nth: bool = False
    spans: list[Span] | None = None  # None: no time given; []: off


def parse_opening_hours(value: str) -> OpeningHours:
    """Parse ``value``; never raises: what cannot be read is a ``malformed`` result."""
    notes: list[str] = []
    try:
        rules = _Parser(_tokens(_normalised(value, notes), notes), notes).rules()
        week = _week(rules, notes)
    except Malformed as exc:
        return OpeningHours("malformed", (), tuple(dict.fromkeys((str(exc), *notes))))
    problems = tuple(dict.fromkeys(notes))
    holiday_rule = any(rule.holidays for rule in rules if rule.separator != "||")
    days = range(1, HOLIDAY + 1) if holiday_rule else range(1, HOLIDAY)
    if all(_merged(week[day]) == [(0, MINUTES_PER_DAY)] for day in days):
        return OpeningHours("always", (), problems)
    intervals = tuple(Interval(day, opens, closes)
                      for day in days for opens, closes in _merged(week[day]))
    return OpeningHours("schedule", intervals, problems, holiday_rule)


def _normalised(value: str, notes: list[str]) -> str:
    text = " ".join(value.translate(_DASHES).split())
    if not text:
        raise Malformed("empty value")
    text, count = _NTH_IN_MONTH.subn(r"\2[\1]", text)
    if count:
        notes.append("read 'N. <day> im Monat' as <day>[N]")
    text, count = _UHR.subn("", text)
    if count:
        notes.append("ignored the word 'Uhr'")
    return text


def _tokens(text: str, notes: list[str]) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind == "space":
            continue
        if kind == "other":
            raise Malformed(f"unexpected character {match.group()!r}")
        if kind == "comment":
            notes.append(f"ignored comment {match.group()}")
            continue
        if kind == "word":
            kind = _word_kind(match.group(), notes)
        tokens.append(_Token(kind, match.group()))
    return tokens


def _word_kind(word: str, notes: list[str]) -> str:
    lower = word.lower()
    if lower in DAY_NUMBERS:
        return "day"
    if lower in DAY_ALIASES:
        notes.append(f"read day name {word!r} as {_day_code(DAY_ALIASES[lower])}")
        return "day"
    if lower in HOLIDAYS:
        return "holiday"
    if lower in OFF_WORDS:
        return "off"
    if lower == "open":
        return "open"
    raise Malformed(f"unknown word {word!r}")


def _day_code(number: int) -> str:
    return next(code for code, n in DAY_NUMBERS.items() if n == number).capitalize()


def _day_number(token: _Token) -> int:
    lower = token.text.lower()
    return DAY_NUMBERS.get(lower) or DAY_ALIASES[lower]


class _Parser:
    """Recursive descent over the tokens: rules of selectors and time spans."""

    def __init__(self, tokens: list[_Token], notes: list[str]) -> None:
        self.tokens = tokens
        self.notes = notes
        self.at = 0

    def peek(self, offset: int = 0) -> _Token | None:
        index = self.at + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def is_kind(self, offset: int, *kinds: str) -> bool:
        token = self.peek(offset)
        return token is not None and token.kind in kinds

    def is_text(self, offset: int, text: str) -> bool:
        token = self.peek(offset)
        return token is not None and token.text == text

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise Malformed("the value ends too early")
        self.at += 1
        return token

    def rules(self) -> list[_Rule]:
        rules = [self.rule(";")]
        while self.peek() is not None:
            token = self.take()
            if token.kind == "fallback":
                separator = "||"
            elif token.text in (";", ","):
                separator = token.text
            else:
                raise Malformed(f"unexpected {token.text!r} after a rule")
            rules.append(self.rule(separator))
        return rules

    def rule(self, separator: str) -> _Rule:
        rule = _Rule(separator)
        while self.is_kind(0, "day", "holiday"):
            self.selector(rule)
            if not (self.is_text(0, ",") and self.is_kind(1, "day", "holiday")):
                break
            self.take()
        if (rule.days or rule.holidays or rule.school) and self.is_text(0, ":"):
            self.take()
            self.notes.append("ignored a colon after the days")
        if self.is_kind(0, "always"):
            self.take()
            rule.spans = [(0, MINUTES_PER_DAY)]
        elif self.is_kind(0, "off"):
            self.take()
            rule.spans = []
        elif self.is_kind(0, "open"):
            self.take()
            rule.spans = [(0, MINUTES_PER_DAY)]
        elif self.is_kind(0, "time"):
            rule.spans = [self.span()]
            while self.is_text(0, ",") and self.is_kind(1, "time"):
                self.take()
                rule.spans.append(self.span())
        elif not (rule.days or rule.holidays or rule.school):
            token = self.peek()
            raise Malformed(f"a rule must start with days or times, not "
                            f"{token.text if token else 'nothing'!r}")
        return rule

    def selector(self, rule: _Rule) -> None:
        token = self.take()
        if token.kind == "holiday":
            if token.text.lower() == "sh":
                rule.school = True
            else:
                rule.holidays = True
            return
        first = _day_number(token)
        last = first
        if self.is_text(0, "-"):
            self.take()
            end = self.take()
            if end.kind != "day":
                raise Malformed(f"expected a day after '{token.text}-', not {end.text!r}")
            last = _day_number(end)
        span = (last - first) % 7
        rule.days.update((first - 1 + step) % 7 + 1 for step in range(span + 1))
        if self.is_text(0, "["):
            while not self.is_text(0, "]"):
                self.take()
            self.take()
            rule.nth = True

    def span(self) -> Span:
        opens = self.clock(self.take(), closing=False)
        if self.is_text(0, "+"):
            raise Malformed("open-ended times ('+') are not understood")
        dash = self.take()
        if dash.text != "-":
            raise Malformed(f"expected '-' in a time span, not {dash.text!r}")
        closes_token = self.take()
        if closes_token.kind != "time":
            raise Malformed(f"expected a closing time, not {closes_token.text!r}")
        closes = self.clock(closes_token, closing=True)
        if self.is_text(0, "+"):
            raise Malformed("open-ended times ('+') are not understood")
        if closes <= opens:
            closes += MINUTES_PER_DAY
        return opens, closes

    def clock(self, token: _Token, *, closing: bool) -> int:
        if token.kind != "time":
            raise Malformed(f"expected a time, not {token.text!r}")
        hours_text, _, minutes_text = token.text.replace(".", ":").partition(":")
        if not minutes_text:
            self.notes.append(f"read bare hour {token.text!r} as {int(hours_text):02d}:00")
        elif len(hours_text) == 1 or "." in token.text:
            self.notes.append(f"read {token.text!r} as {int(hours_text):02d}:{minutes_text}")
        hours, minutes = int(hours_text), int(minutes_text or 0)
        limit = 24 if closing else 23
        if hours > limit or minutes > 59 or (hours == 24 and minutes):
            raise Malformed(f"{token.text!r} is not a time of day")
        return hours * 60 + minutes


def _week(rules: list[_Rule], notes: list[str]) -> dict[int, list[Span]]:
    """Apply the rules in order: ``;`` replaces a day's hours, ``,`` adds to them."""
    week: dict[int, list[Span]] = {day: [] for day in range(1, HOLIDAY + 1)}
    for rule in rules:
        if rule.separator == "||":
            notes.append("skipped a fallback rule ('||')")
            continue
        if rule.nth:
            if rule.spans == []:
                raise Malformed("'off' on the n-th weekday of a month is not understood")
            notes.append("skipped a rule for the n-th weekday of a month")
            continue
        if rule.school:
            notes.append("school-holiday rules are not modelled; regular hours apply then")
            if not (rule.days or rule.holidays):
                continue
        spans = [(0, MINUTES_PER_DAY)] if rule.spans is None else rule.spans
        days = rule.days | ({HOLIDAY} if rule.holidays else set())
        for day in days or range(1, HOLIDAY + 1):   # no selector: every day, holidays too
            week[day] = week[day] + spans if rule.separator == "," else list(spans)
    return week


def _merged(spans: list[Span]) -> list[Span]:
    """Sorted spans with overlapping or touching ones joined."""
    merged: list[Span] = []
    for opens, closes in sorted(spans):
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged
