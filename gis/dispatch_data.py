"""What dispatch may send, read from the database for one patient at one time."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, text


@dataclass(frozen=True)
class Search:
    """Where and when to look, and how far."""

    lon: float
    lat: float
    at: datetime
    volunteer_radius_m: float = 2_000.0
    aed_radius_m: float = 1_500.0
    station_radius_m: float = 30_000.0
    max_position_age_s: float = 900.0


@dataclass(frozen=True)
class CandidateRows:
    """Candidates as rows: (id, lon, lat) each; pads also (range_km, cruise_speed_kmh)."""

    volunteers: list[tuple[int, float, float]]
    aeds: list[tuple[int, float, float]]
    stations: list[tuple[int, float, float]]
    pads: list[tuple[int, float, float, float, float]]


def load_candidates(engine: Engine, search: Search) -> CandidateRows:
    """Available volunteers (fresh positions), AEDs available then, stations with a free
    ambulance, and ready drone pads in range of the patient."""
    point = {"lon": search.lon, "lat": search.lat}
    with engine.connect() as conn:
        volunteers = conn.execute(text(
            "SELECT id, vlon, vlat FROM rc.dispatch_volunteers(:lon, :lat, :r, :at, :age)"),
            {**point, "r": search.volunteer_radius_m, "at": search.at,
             "age": search.max_position_age_s}).all()
        aeds = conn.execute(text(
            "SELECT id, alon, alat FROM rc.dispatch_aeds(:lon, :lat, :r, :at)"),
            {**point, "r": search.aed_radius_m, "at": search.at}).all()
        stations = conn.execute(text(
            "SELECT id, slon, slat FROM rc.dispatch_stations(:lon, :lat, :r)"),
            {**point, "r": search.station_radius_m}).all()
        pads = conn.execute(text(
            "SELECT id, plon, plat, range_km, cruise_speed_kmh FROM rc.dispatch_pads(:lon, :lat)"),
            point).all()
    return CandidateRows(
        volunteers=[(int(r.id), float(r.vlon), float(r.vlat)) for r in volunteers],
        aeds=[(int(r.id), float(r.alon), float(r.alat)) for r in aeds],
        stations=[(int(r.id), float(r.slon), float(r.slat)) for r in stations],
        pads=[(r.id, r.plon, r.plat, float(r.range_km), float(r.cruise_speed_kmh))
              for r in pads],
    )


def area_kind(engine: Engine, lon: float, lat: float) -> str:
    """'urban' or 'rural', from the district the point lies in."""
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT rc.area_kind(:lon, :lat)"),
                                {"lon": lon, "lat": lat}).scalar_one())
