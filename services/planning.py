"""Planning use cases: city-wide coverage layers, district KPIs, siting and AED duty venues.

All of them read the network through the context, so the configured speed factors and snap
limit hold whether an analyst asks over HTTP or on the command line.
"""

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from formats.areas import FieldNames, district_rows, field_of, read_areas
from gis.air import load_air
from gis.planning import (
    load_aed_venues,
    load_districts,
    load_incidents,
    load_inputs,
    load_usable_aeds,
    read_incident_points,
    read_points_csv,
)
from gis.planning import volunteer_density as density_cells
from gis.training import training_points
from planning.air import AirInputs, AirKpi, air_note, air_table
from planning.catchment import catchment_columns, catchment_notes
from planning.demand import Weighting
from planning.inputs import District, PlanningInputs, Points
from planning.kpi import KpiTable, kpi_table
from planning.layers import NO_POPULATION, build_layer, layer_notes
from planning.sites import SitePlan, plan_sites
from planning.training_kpi import training_columns, training_note
from planning.venues import VenueCheck, check_venues
from rescuecircle.errors import InvalidInput
from routing.air import helicopter
from routing.coverage import CoverageLayer
from routing.drone import DroneSpec
from routing.network import Network
from services import params
from services.context import Context


@dataclass(frozen=True)
class Coverage:
    """One coverage layer, the network its geometry is in, and what is missing."""

    network: Network
    layer: CoverageLayer
    notes: list[str]


@dataclass(frozen=True)
class Kpis:
    """The district KPI table, the districts it is about and the network of its gaps."""

    network: Network
    districts: list[District]
    table: KpiTable
    notes: list[str]


def planning_inputs(context: Context, at: datetime) -> tuple[Network, PlanningInputs]:
    """The current network and the facilities, AEDs available at ``at`` and population."""
    network = context.networks.current()
    inputs = load_inputs(context.engine, at=at, population=context.networks.population())
    return network, inputs


def coverage(context: Context, layer: str, *, at: datetime, hour: int | None,
             minutes: list[float] | None = None) -> Coverage:
    """City-wide coverage of ``layer`` (stations, aeds, drone-pads, circle) in bands."""
    network, inputs = planning_inputs(context, at)
    built = build_layer(network, inputs, layer, minutes=minutes, hour=hour)
    return Coverage(network, built, layer_notes(inputs, built))


def read_districts_file(path: Path, *, name_field: str, kind: str = "urban"
                        ) -> list[District]:
    """Districts from a vector file in any CRS, for a KPI table of districts not loaded:
    every one of ``kind`` unless the file has a ``kind`` field. A file with any feature that
    cannot be a district is refused whole: a table over part of them would mislead."""
    areas = read_areas(path)
    kinds = {name.lower() for area in areas for name in area.fields}
    fields = FieldNames(field_of(areas, name_field, "name", path) if areas else name_field,
                        kind=field_of(areas, "kind", "kind", path) if "kind" in kinds else None)
    rows, rejected = district_rows(areas, fields)
    if rejected:
        raise InvalidInput(f"{path.name}: " + "; ".join(f"{r.label}: {r.reason}"
                                                        for r in rejected[:5]))
    return [District(r.name, r.kind or kind, r.geometry) for r in rows]


def kpis(context: Context, *, at: datetime, hour: int | None,
         districts_file: Path | None = None, name_field: str = "name",
         kind: str = "urban") -> Kpis:
    """The KPI table of rc.district, or of the districts in ``districts_file``."""
    districts = (read_districts_file(districts_file, name_field=name_field, kind=kind)
                 if districts_file else load_districts(context.engine))
    if not districts:
        raise InvalidInput("there are no districts to report on: run `rescuecircle import "
                           "districts FILE` (or pass a districts file)")
    network, inputs = planning_inputs(context, at)
    table, _ = kpi_table(network, districts, inputs, hour=hour)
    sites = training_points(context.engine)
    air, air_inputs = _air_rows(context, network, districts, inputs.people)
    table = table.with_columns(training_columns(network, districts, inputs.people, sites,
                                                hour=hour)).with_columns(
        catchment_columns(network, districts, inputs.people, inputs.hospitals,
                          hour=hour)).with_columns(
        {row.name: {k: v for k, v in asdict(row).items() if k not in ("name", "kind",
                                                                     "population")}
         for row in air})
    empty = [row.name for row in table.rows if row.population <= 0]
    notes = _missing_people(inputs) or ([
        f"{len(empty)} districts hold no population, so their shares are empty: "
        + ", ".join(empty[:10])] if empty else [])
    notes += [note for note in (training_note(len(sites.lon)), air_note(air_inputs)) if note]
    notes += catchment_notes(inputs.hospitals)
    return Kpis(network, districts, table, notes)


def air_kpis(context: Context, *, at: datetime) -> list[AirKpi]:
    """The air rescue indicators of every district of rc.district (Hangzhou's targets)."""
    districts = load_districts(context.engine)
    if not districts:
        raise InvalidInput("there are no districts to report on: run `rescuecircle import "
                           "districts FILE`")
    network, inputs = planning_inputs(context, at)
    return _air_rows(context, network, districts, inputs.people)[0]


def _air_rows(context: Context, network: Network, districts: list[District],
              people: Points) -> tuple[list[AirKpi], AirInputs]:
    sites, bases, specs, hospitals = load_air(context.engine)
    air = AirInputs(sites, bases, [helicopter(*spec) for spec in specs], hospitals)
    return air_table(network, districts, people, air), air


@dataclass(frozen=True)
class Incidents:
    """Which incidents are the calls of siting: those of ``file`` (CSV lon/lat or a vector
    file of points), or else the stored ones received from ``first`` to ``last`` (local dates
    of the city, both included; None: unbounded); of ``categories`` (None: any)."""

    file: Path | None = None
    first: date | None = None
    last: date | None = None
    categories: tuple[str, ...] | None = None

    def describe(self) -> str:
        """Which incidents, in words, for messages."""
        which = f" of {', '.join(self.categories)}" if self.categories else ""
        if self.file is not None:
            return f"in {self.file.name}{which}"
        return (f"received from {self.first or 'the first call'} to "
                f"{self.last or 'the last call'}{which}")


@dataclass(frozen=True)
class SiteQuestion:
    """Where to add ``kind`` (stations, aeds, drone-pads): ``add`` sites (MCLP); or which
    ``relocate`` existing AEDs to move where; or, with neither, the fewest covering everyone
    coverable (LSCP). ``demand`` weighs people, calls or a mix (``planning.demand``)."""

    kind: str
    add: int | None
    at: datetime
    hour: int | None = None
    minutes: float | None = None
    candidates_file: Path | None = None
    cruise_kmh: float | None = None
    range_km: float | None = None
    relocate: int | None = None
    demand: str = "population"
    incidents: Incidents = Incidents()


def site_question(raw: Mapping[str, Any], *, kind: str, now: datetime) -> SiteQuestion:
    """A siting question from query parameters or process inputs: exactly one of ``add``
    (1-200), ``relocate`` (1-200) and ``cover_all`` (true), and optionally ``minutes``,
    ``hour``, ``at``, ``cruise_kmh``, ``range_km``, ``demand``, ``from``, ``to`` and
    ``categories`` (a list, or comma-separated)."""
    cover_all = str(raw.get("cover_all", "false")).lower()
    if cover_all not in ("true", "false"):
        raise InvalidInput(f"cover_all must be true or false, not {raw.get('cover_all')!r}")
    given = [name for name in ("add", "relocate") if raw.get(name) is not None]
    if len(given) + (cover_all == "true") != 1:
        raise InvalidInput("give one of add (new sites to open, 1-200), relocate (existing "
                           "AEDs to move, 1-200) or cover_all=true")

    def optional(name: str, low: float, high: float) -> float | None:
        value = raw.get(name)
        return None if value is None else params.number(value, name, low=low, high=high)

    demand = str(raw.get("demand", "population"))
    Weighting.parse(demand)
    incidents = Incidents(first=params.day(raw.get("from"), "from"),
                          last=params.day(raw.get("to"), "to"),
                          categories=_categories(raw.get("categories")))
    if incidents.first and incidents.last and incidents.first > incidents.last:
        raise InvalidInput(f"from {incidents.first} is after to {incidents.last}")
    add, relocate = _whole(optional("add", 1, 200), "add"), \
        _whole(optional("relocate", 1, 200), "relocate")
    return SiteQuestion(
        kind, add=add, relocate=relocate,
        at=params.aware_time(raw.get("at")) or now, hour=params.hour(raw.get("hour")),
        minutes=optional("minutes", 1, 60), cruise_kmh=optional("cruise_kmh", 10, 300),
        range_km=optional("range_km", 1, 100), demand=demand, incidents=incidents)


def _whole(value: float | None, name: str) -> int | None:
    """A count given as a number: whole, or InvalidInput naming it."""
    if value is not None and not value.is_integer():
        raise InvalidInput(f"{name} = {value:g} is not a whole number of sites")
    return None if value is None else int(value)


def _categories(value: Any) -> tuple[str, ...] | None:
    """Incident categories: a list of names or one comma-separated string (at most 50)."""
    if value is None:
        return None
    names = value.split(",") if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InvalidInput(f"categories must be a list of names, not {value!r}")
    cleaned = tuple(dict.fromkeys(n.strip() for n in names if n.strip()))
    if not 1 <= len(cleaned) <= 50 or any(len(n) > 64 for n in cleaned):
        raise InvalidInput(f"categories must name 1-50 categories of at most 64 characters, "
                           f"not {value!r}")
    return cleaned


def site(context: Context, question: SiteQuestion) -> SitePlan:
    """The proposed new sites (or moves) and the people and calls they cover."""
    weighting = Weighting.parse(question.demand)
    network, inputs = planning_inputs(context, question.at)
    if weighting.needs_people and not len(inputs.people.lon):
        raise InvalidInput("siting weighs sites by the people they cover, and no population "
                           "is loaded: run `rescuecircle import population FILE` (or weigh "
                           "calls: demand incidents)")
    calls = incident_calls(context, question.incidents)
    if weighting.needs_calls and not len(calls.lon):
        raise InvalidInput(f"demand {weighting.label()} weighs calls, and no incident was "
                           f"{question.incidents.describe()}: widen from/to or categories, "
                           "or give a file of incidents")
    candidates: Points | None = (read_points_csv(question.candidates_file)
                                 if question.candidates_file else None)
    drone = None
    if question.cruise_kmh is not None or question.range_km is not None:
        defaults = DroneSpec()
        settings = context.settings
        drone = DroneSpec(cruise_speed_kmh=question.cruise_kmh or defaults.cruise_speed_kmh,
                          range_km=question.range_km or defaults.range_km,
                          takeoff_s=settings.drone_takeoff_s, landing_s=settings.drone_landing_s)
    return plan_sites(network, inputs, question.kind, add=question.add,
                      relocate=question.relocate, calls=calls, weighting=weighting,
                      candidates=candidates, minutes=question.minutes, hour=question.hour,
                      drone=drone, districts=load_districts(context.engine))


def aed_venues(context: Context, *, at: datetime, uncovered_only: bool = False
               ) -> list[VenueCheck]:
    """The venues that must have an AED, each with the walk from its nearest public, usable
    AED on the day of ``at`` (None beyond a minute); only those without one when asked."""
    venues = load_aed_venues(context.engine)
    if not venues:
        raise InvalidInput("no AED duty venues are loaded: run `rescuecircle import osm FILE` "
                           "(they come with the roads) or `rescuecircle import aed-venues FILE`")
    checks = check_venues(context.networks.current(), venues,
                          load_usable_aeds(context.engine, at=at))
    return [c for c in checks if not c.covered] if uncovered_only else checks


def incident_calls(context: Context, incidents: Incidents) -> Points:
    """The calls siting weighs: the incidents of the file, or the stored ones selected."""
    if incidents.file is not None:
        return read_incident_points(incidents.file, categories=incidents.categories)
    zone = context.timezone()

    def midnight(day: date | None) -> datetime | None:
        return None if day is None else datetime.combine(day, time(), zone)

    return load_incidents(context.engine, start=midnight(incidents.first),
                          end=midnight(incidents.last + timedelta(days=1)
                                       if incidents.last else None),
                          categories=incidents.categories)


def _missing_people(inputs: PlanningInputs) -> list[str]:
    return [] if len(inputs.people.lon) else [NO_POPULATION]


def volunteer_density(context: Context, *, cell_m: float, min_count: int,
                      days: float) -> list[tuple[int, bytes]]:
    """Active volunteers per hexagon of ``cell_m`` by latest position in the last ``days``;
    cells under ``min_count`` are left out so no cell singles anyone out."""
    return density_cells(context.engine, cell_m=cell_m, min_count=min_count,
                         since=context.now() - timedelta(days=days))

