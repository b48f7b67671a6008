"""What dispatch may send, read from the database for one patient at one time."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, text


@dataclass(frozen=True)
class Search:
    """Where and when to look, and how far; ``incident`` for a replan, whose own units stay
    candidates while units sent to other incidents never are."""

    lon: float
    lat: float
    at: datetime
    incident: int | None = None
    volunteer_radius_m: float = 2_000.0
    # The nearest in a straight line: a dense city has hundreds within the radius, and each is
    # routed several times (on 100,000 volunteers the 100 nearest gave the same first arrival
    # and AED arrival at 20 of 20 points, the plan 25 % sooner).
    max_volunteers: int = 100
    aed_radius_m: float = 1_500.0
    ambulance_radius_m: float = 30_000.0
    max_position_age_s: float = 900.0
    max_ambulance_position_age_s: float = 120.0   # AVL reports every few seconds


@dataclass(frozen=True)
class Ambulance:
    """An available ambulance where dispatch would send it from."""

    id: int
    station_id: int
    call_sign: str
    kind: str
    lon: float
    lat: float
    live: bool                  # at its fresh live position, else at its station


@dataclass(frozen=True)
class CandidateRows:
    """Candidates as rows: (id, lon, lat) each; AEDs also their floor, pads (range_km,
    cruise_speed_kmh)."""

    volunteers: list[tuple[int, float, float]]
    aeds: list[tuple[int, float, float, int]]
    ambulances: list[Ambulance]
    pads: list[tuple[int, float, float, float, float]]
    # (id, lon, lat, spin_up_s, cruise_speed_kmh, range_km), the last three None: defaults
    air_bases: list[tuple[int, float, float, float | None, float | None, float | None]] = \
        field(default_factory=list)


def load_candidates(engine: Engine, search: Search) -> CandidateRows:
    """Available volunteers (fresh positions, valid certificates), AEDs available then,
    available ambulances (at their fresh live position, else their station), and ready drone
    pads in range; none of them sent to another incident."""
    point = {"lon": search.lon, "lat": search.lat, "incident": search.incident}
    with engine.connect() as conn:
        volunteers = conn.execute(text(
            "SELECT id, vlon, vlat FROM rc.dispatch_volunteers(:lon, :lat, :r, :at, :age, "
            ":incident, :most)"),
            {**point, "r": search.volunteer_radius_m, "at": search.at,
             "age": search.max_position_age_s, "most": search.max_volunteers}).all()
        aeds = conn.execute(text(
            "SELECT id, alon, alat, floor FROM rc.dispatch_aeds(:lon, :lat, :r, :at, :incident)"),
            {**point, "r": search.aed_radius_m, "at": search.at}).all()
        ambulances = conn.execute(text(
            "SELECT id, station_id, call_sign, kind, alon, alat, live "
            "FROM rc.dispatch_ambulances(:lon, :lat, :r, :at, :age, :incident)"),
            {**point, "r": search.ambulance_radius_m, "at": search.at,
             "age": search.max_ambulance_position_age_s}).all()
        pads = conn.execute(text(
            "SELECT id, plon, plat, range_km, cruise_speed_kmh "
            "FROM rc.dispatch_pads(:lon, :lat, :incident)"),
            point).all()
        bases = conn.execute(text(
            "SELECT id, ST_X(geom) AS lon, ST_Y(geom) AS lat, spin_up_s, cruise_speed_kmh, "
            "range_km FROM rc.helipad WHERE kind = 'air_base' AND status = 'ready' "
            "AND helicopters > 0")).all()
    return CandidateRows(
        volunteers=[(int(r.id), float(r.vlon), float(r.vlat)) for r in volunteers],
        aeds=[(int(r.id), float(r.alon), float(r.alat), int(r.floor)) for r in aeds],
        ambulances=[Ambulance(int(r.id), int(r.station_id), str(r.call_sign), str(r.kind),
                              float(r.alon), float(r.alat), bool(r.live)) for r in ambulances],
        pads=[(r.id, r.plon, r.plat, float(r.range_km), float(r.cruise_speed_kmh))
              for r in pads],
        air_bases=[(int(r.id), float(r.lon), float(r.lat), r.spin_up_s, r.cruise_speed_kmh,
                    r.range_km) for r in bases],
    )


def newest_position_age_s(engine: Engine, at: datetime) -> float | None:
    """How old, at ``at``, the newest volunteer position of the whole city is (None: there is
    none): tells "nobody near" from "every position is stale". Asked only when no volunteer
    near the patient has a fresh position."""
    with engine.connect() as conn:
        age = conn.execute(text(
            "SELECT extract(epoch FROM CAST(:at AS timestamptz) - max(observed_at)) "
            "FROM rc.volunteer_position_latest "
            "WHERE observed_at <= CAST(:at AS timestamptz) + interval '5 minutes'"),
            {"at": at}).scalar()
    return None if age is None else max(float(age), 0.0)


def area_kind(engine: Engine, lon: float, lat: float) -> str:
    """'urban' or 'rural', from the district the point lies in."""
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT rc.area_kind(:lon, :lat)"),
                                {"lon": lon, "lat": lat}).scalar_one())


@dataclass(frozen=True)
class Loaded:
    """How much of each registry is loaded at all: what an empty part of a plan is measured
    against, to tell "none loaded" from "none available here and now"."""

    ambulances: int
    any_volunteer: bool  # whether any is active (counting 100,000 took ~20 ms a plan)
    aeds: int
    drone_pads: int
    emergency_departments: int = 0
    air_bases: int = 0


def loaded_counts(engine: Engine) -> Loaded:
    """Ambulances, whether any volunteer is active, AEDs, drone pads and emergency departments
    in the registries."""
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT (SELECT count(*) FROM rc.ambulance) AS ambulances, "
            "EXISTS (SELECT FROM rc.volunteer WHERE status = 'active') AS any_volunteer, "
            "(SELECT count(*) FROM rc.aed) AS aeds, "
            "(SELECT count(*) FROM rc.drone_pad) AS drone_pads, "
            "(SELECT count(*) FROM rc.hospital WHERE emergency) AS emergency_departments, "
            "(SELECT count(*) FROM rc.helipad WHERE kind = 'air_base') AS air_bases")).one()
    return Loaded(int(row.ambulances), bool(row.any_volunteer), int(row.aeds), int(row.drone_pads),
                  int(row.emergency_departments), int(row.air_bases))
