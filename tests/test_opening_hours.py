"""The opening_hours parser, and the SQL that answers "is this AED available then?"."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DataError

from cli.main import main
from demo.facilities import MALFORMED_OPENING_HOURS
from formats.opening_hours import Interval, parse_opening_hours
from gis.aed_registry import sync_opening_hours
from gis.holidays import holidays_of, store_holidays
from rescuecircle.errors import InvalidInput
from tests.conftest import app_settings, zoned

SHANGHAI = ZoneInfo("Asia/Shanghai")


def week(value: str) -> list[tuple[int, int, int]]:
    return [(i.weekday, i.opens_min, i.closes_min) for i in parse_opening_hours(value).intervals]


def test_always_open():
    for value in ("24/7", "Mo-Su 00:00-24:00", "PH off; 24/7", 'Mo-Su 00:00-24:00 "outside"'):
        assert parse_opening_hours(value).state == "always", value


def test_public_holidays_are_a_day_of_their_own():
    closed = parse_opening_hours("24/7; PH off")   # open every day but public holidays
    assert (closed.state, closed.holiday_rule) == ("schedule", True)
    assert week("24/7; PH off") == [(d, 0, 1440) for d in range(1, 8)]   # weekday 8: none
    assert week("Mo-Fr,PH 08:00-12:00") == [(d, 480, 720) for d in (1, 2, 3, 4, 5, 8)]
    assert week("Mo-Fr 09:00-17:00; PH 10:00-12:00")[-1] == (8, 600, 720)
    assert week("Mo-Fr 08:00-18:00; Feiertags geschlossen") == [
        (d, 480, 1080) for d in range(1, 6)]
    assert not parse_opening_hours("Mo-Fr 08:00-18:00").holiday_rule
    school = parse_opening_hours("Mo-Fr 08:00-18:00; SH off")
    assert not school.holiday_rule and "school-holiday rules are not modelled" in \
        school.problems[0]


def test_weekday_ranges_lists_and_several_spans():
    assert week("Mo-Fr 08:00-18:00") == [(d, 480, 1080) for d in range(1, 6)]
    assert week("Sa,Su 10:00-12:00,14:00-16:00") == [
        (6, 600, 720), (6, 840, 960), (7, 600, 720), (7, 840, 960)]
    assert week("Fr-Mo 10:00-12:00") == [(1, 600, 720), (5, 600, 720), (6, 600, 720),
                                         (7, 600, 720)]
    assert week("08:00-12:00") == [(d, 480, 720) for d in range(1, 8)]


def test_later_rules_replace_and_commas_add():
    assert week("Mo-Fr 08:00-18:00; We off") == [(d, 480, 1080) for d in (1, 2, 4, 5)]
    assert week("Mo-Fr 08:00-18:00; We 10:00-12:00") == [
        (1, 480, 1080), (2, 480, 1080), (3, 600, 720), (4, 480, 1080), (5, 480, 1080)]
    assert week("Tu-Su 10:00-18:00, Th 10:00-21:00")[2] == (4, 600, 1260)
    assert parse_opening_hours("off").intervals == ()
    assert parse_opening_hours("off").state == "schedule"


def test_spans_past_midnight_stay_on_their_day():
    assert parse_opening_hours("Fr 22:00-02:00").intervals == (Interval(5, 1320, 1560),)


def test_tolerated_oddities_are_noted():
    hours = parse_opening_hours("Mo,Mi,Fr 7:30 - 12:00, Di 9:30 - 18:00, Do 7:30 - 16:00")
    assert hours.state == "schedule"
    assert week("Mo,Mi,Fr 7:30 - 12:00, Di 9:30 - 18:00, Do 7:30 - 16:00") == [
        (1, 450, 720), (2, 570, 1080), (3, 450, 720), (4, 450, 960), (5, 450, 720)]
    assert "read day name 'Mi' as We" in hours.problems
    assert week("6.00-19.30 Uhr") == [(d, 360, 1170) for d in range(1, 8)]
    assert week("Di-So 10-18 Uhr; 1. Do im Monat 10-22 Uhr") == [
        (d, 600, 1080) for d in range(2, 8)]
    assert "skipped a rule for the n-th weekday of a month" in parse_opening_hours(
        "Tu-Su 10:00-18:00; Th[1] 10:00-22:00").problems
    assert week("Mo-Fr 08:00-12:00; PH off") == [(d, 480, 720) for d in range(1, 6)]


@pytest.mark.parametrize(("value", "reason"), [
    (MALFORMED_OPENING_HOURS, "unknown word 'to'"),
    ("sunrise-sunset", "unknown word 'sunrise'"),
    ("Mo-Fr 09:00 - 18:00 Uhr und zu Veranstaltungen", "unknown word 'und'"),
    ("Mo-Fr 25:00-26:00", "'25:00' is not a time of day"),
    ("Mo-Fr 18:00+", "open-ended times"),
    ("Jan-Mar 08:00-12:00", "unknown word 'Jan'"),
    ("Th[1] off", "'off' on the n-th weekday"),
    ("Mo-Fr 08:00-", "ends too early"),
    ("", "empty value"),
    ("Mo-Fr 08:00–18:00 @", "unexpected character '@'"),
])
def test_malformed_values_are_reported_not_raised(value, reason):
    hours = parse_opening_hours(value)
    assert hours.state == "malformed"
    assert hours.intervals == ()
    assert reason in hours.problems[0]


@pytest.fixture(scope="module")
def engine(make_database):
    """The AEDs below are in Shenzhen and no network is loaded, so the deployment names its
    zone: RC_TIMEZONE=Asia/Shanghai, the connections' rc.timezone."""
    engine = zoned(make_database("opening_hours"), "Asia/Shanghai")
    yield engine
    engine.dispose()


@pytest.fixture
def aed(engine):
    """A ready AED in Shenzhen; yields a function setting its opening hours (parsed)."""
    with engine.begin() as conn:
        aed_id = conn.execute(text(
            "INSERT INTO rc.aed (name, geom) VALUES ('toy', "
            "ST_SetSRID(ST_MakePoint(114.05, 22.54), 4326)) RETURNING id")).scalar_one()

    def set_hours(value: str | None, *, parse: bool = True) -> int:
        with engine.begin() as conn:
            conn.execute(text("UPDATE rc.aed SET opening_hours = :h WHERE id = :id"),
                         {"h": value, "id": aed_id})
            if parse:
                sync_opening_hours(conn)
        return aed_id

    yield set_hours
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM rc.aed WHERE id = :id"), {"id": aed_id})


def available(engine, aed_id: int, at: datetime, tz: str | None = None) -> bool:
    with engine.connect() as conn:
        return conn.execute(text("SELECT rc.aed_available_at(:id, :at, :tz)"),
                            {"id": aed_id, "at": at, "tz": tz}).scalar_one()


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_sql_reads_the_parsed_week(engine, aed):
    aed_id = aed("Mo-Fr 08:00-18:00")
    wednesday, sunday = (2026, 11, 25), (2026, 11, 29)
    assert available(engine, aed_id, local(*wednesday, 10, 0))
    assert not available(engine, aed_id, local(*wednesday, 18, 0))
    assert not available(engine, aed_id, local(*wednesday, 7, 59))
    assert not available(engine, aed_id, local(*sunday, 10, 0))
    with engine.connect() as conn:
        state, problems = conn.execute(text(
            "SELECT hours_state, hours_problems FROM rc.aed WHERE id = :id"),
            {"id": aed_id}).one()
    assert (state, problems) == ("schedule", None)


def test_sql_follows_spans_past_midnight(engine, aed):
    aed_id = aed("Fr 22:00-02:00")
    assert available(engine, aed_id, local(2026, 11, 27, 23, 0))  # Friday night
    assert available(engine, aed_id, local(2026, 11, 28, 1, 59))  # early Saturday
    assert not available(engine, aed_id, local(2026, 11, 28, 2, 0))
    assert not available(engine, aed_id, local(2026, 11, 27, 1, 0))  # early Friday


def test_time_zone_decides_the_local_hour(engine, aed, make_database):
    aed_id = aed("Mo-Fr 08:00-18:00")
    at = datetime.fromisoformat("2026-11-25T03:00:00+00:00")  # 11:00 Shanghai, 04:00 Berlin
    assert available(engine, aed_id, at)  # the connection's rc.timezone: Asia/Shanghai
    assert available(engine, aed_id, at, "Asia/Shanghai")
    assert not available(engine, aed_id, at, "Europe/Berlin")
    # Without RC_TIMEZONE and with no network loaded, local time is UTC: 03:00, closed.
    assert not available(make_database("opening_hours"), aed_id, at)
    with pytest.raises(DataError, match="tz Mars/Olympus: not a time zone name"), \
            engine.connect() as conn:
        conn.execute(text("SELECT rc.aed_available_at(:id, now(), 'Mars/Olympus')"),
                     {"id": aed_id})


def test_unknown_hours_are_not_guaranteed(engine, aed):
    at = local(2026, 11, 25, 12, 0)
    aed_id = aed(MALFORMED_OPENING_HOURS)
    assert not available(engine, aed_id, at)
    with engine.connect() as conn:
        reason = conn.execute(text("SELECT rc.aed_unavailable_reason(:id, :at)"),
                              {"id": aed_id, "at": at}).scalar_one()
        problems = conn.execute(text("SELECT hours_problems FROM rc.aed WHERE id = :id"),
                                {"id": aed_id}).scalar_one()
    assert reason == f"opening hours unreadable: {MALFORMED_OPENING_HOURS}"
    assert problems.startswith("unknown word 'to'")
    assert not available(engine, aed("Mo-Su 08:00-20:00", parse=False), at)  # not parsed yet
    assert available(engine, aed("Mo-Su 08:00-20:00"), at)
    assert available(engine, aed("24/7", parse=False), at)  # needs no parser
    assert available(engine, aed(None), at)  # no hours given: no known restriction


def test_changing_the_hours_drops_the_old_schedule(engine, aed):
    aed_id = aed("Mo-Fr 08:00-18:00")
    aed("Sa 08:00-09:00", parse=False)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM rc.aed_opening WHERE aed_id = :id"),
                            {"id": aed_id}).scalar_one() == 0
        assert conn.execute(text("SELECT hours_state FROM rc.aed WHERE id = :id"),
                            {"id": aed_id}).scalar_one() == "pending"
    aed("Sa 08:00-09:00")
    assert available(engine, aed_id, local(2026, 11, 28, 8, 30))


def test_ph_off_closes_the_aed_on_the_loaded_public_holidays(engine, aed):
    office = aed("Mo-Fr 08:00-18:00; PH off")
    national_day = local(2026, 10, 1, 10, 0)   # a Thursday, and China's National Day
    assert available(engine, office, national_day)   # no holidays loaded: a Thursday
    days = holidays_of("CN", [2026])
    assert days[date(2026, 10, 1)] == "国庆节" and date(2026, 2, 17) in days   # Spring Festival
    with engine.begin() as conn:
        assert store_holidays(conn, "CN", days) == len(days)
        assert store_holidays(conn, "CN", days) == len(days)   # again: replaced, not doubled
    try:
        assert not available(engine, office, national_day)
        with engine.connect() as conn:
            reason = conn.execute(text("SELECT rc.aed_unavailable_reason(:id, :at)"),
                                  {"id": office, "at": national_day}).scalar_one()
        assert reason == "closed at that time (Mo-Fr 08:00-18:00; PH off)"
        assert available(engine, office, local(2026, 10, 9, 10, 0))   # the Friday after
        # Holiday hours of their own, and an AED without holiday rules keeps its weekday.
        assert available(engine, aed("Mo-Fr 08:00-18:00; PH 09:00-11:00"), national_day)
        assert not available(engine, aed("Mo-Fr 08:00-18:00; PH 12:00-13:00"), national_day)
        assert available(engine, aed("Mo-Fr 08:00-18:00"), national_day)
        # A night shift from a holiday eve runs into the holiday by the eve's hours.
        night = aed("Mo-Su 20:00-02:00; PH off")
        assert available(engine, night, local(2026, 9, 30, 23, 0))
        assert available(engine, night, local(2026, 10, 1, 1, 0))
        assert not available(engine, night, local(2026, 10, 1, 21, 0))
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM rc.public_holiday"))


def test_unknown_countries_and_years_are_refused():
    with pytest.raises(InvalidInput, match="country 'XX'"):
        holidays_of("XX", [2026])
    with pytest.raises(InvalidInput, match="years"):
        holidays_of("CN", [])


def test_cli_loads_a_countrys_holidays(engine, monkeypatch, capsys):
    monkeypatch.setenv("RC_DATABASE_URL", app_settings(engine).database_url)
    try:
        main(["holidays", "load", "--country", "de", "--years", "2026"])
        assert "public holidays of DE in 2026" in capsys.readouterr().out
        with engine.connect() as conn:
            names = conn.execute(text(
                "SELECT name FROM rc.public_holiday WHERE day = '2026-12-25'")).scalars().all()
        assert names == ["Erster Weihnachtstag"]
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM rc.public_holiday"))
