"""Districts and population in the database: stored from a city's files in one transaction
each, and the districts' urban/rural kinds kept in step with the population they hold."""

from collections.abc import Sequence
from dataclasses import dataclass, field

import shapely
from sqlalchemy import Connection, text

from formats.areas import DistrictRow, Rejected

CELL_M = 250.0  # fine enough for 1 km² urbanisation cells, 6x fewer pieces than 100 m


@dataclass
class AreaReport:
    """What an import of districts or population did."""

    what: str
    file: str
    read: int
    loaded: int = 0
    people: float | None = None
    rejected: list[Rejected] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        people = "" if self.people is None else f" ({self.people:,.0f} people)"
        lines = [f"{self.file}: {self.read} features, {self.loaded} {self.what} loaded{people}, "
                 f"{len(self.rejected)} rejected"]
        lines += [f"  rejected {r.label}: {r.reason}" for r in self.rejected]
        lines += [f"  {note}" for note in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True)
class Outline:
    """A loaded district as the kind derivation needs it."""

    id: int
    geometry: shapely.Geometry
    population: float | None


def store_districts(conn: Connection, rows: Sequence[DistrictRow],
                    kinds: Sequence[tuple[str, str]], *, source: str) -> None:
    """Replace the districts of ``source`` with ``rows``, each with its (kind, basis)."""
    conn.execute(text("DELETE FROM rc.district WHERE source = :source"), {"source": source})
    conn.execute(text(
        "INSERT INTO rc.district (name, code, kind, kind_basis, population, source, geom) "
        "SELECT n, c, k, b, p, :source, ST_SetSRID(ST_GeomFromWKB(g), 4326) "
        "FROM unnest(CAST(:n AS text[]), CAST(:c AS text[]), CAST(:k AS text[]), "
        "CAST(:b AS text[]), CAST(:p AS float8[]), CAST(:g AS bytea[])) "
        "AS t (n, c, k, b, p, g)"),
        {"source": source, "n": [r.name for r in rows], "c": [r.code for r in rows],
         "k": [k for k, _ in kinds], "b": [b for _, b in kinds],
         "p": [r.population for r in rows], "g": [shapely.to_wkb(r.geometry) for r in rows]})


def derived_outlines(conn: Connection) -> list[Outline]:
    """The loaded districts whose kind was not given by their file."""
    rows = conn.execute(text(
        "SELECT id, ST_AsBinary(geom) AS wkb, population FROM rc.district "
        "WHERE kind_basis <> 'given' ORDER BY id")).all()
    return [Outline(r.id, shapely.from_wkb(bytes(r.wkb)), r.population) for r in rows]


def set_district_kinds(conn: Connection, kinds: dict[int, tuple[str, str]]) -> None:
    """Set each district's (kind, basis) by id."""
    if kinds:
        conn.execute(text("UPDATE rc.district SET kind = :k, kind_basis = :b WHERE id = :id"),
                     [{"id": i, "k": k, "b": b} for i, (k, b) in kinds.items()])


def store_population(conn: Connection, areas: Sequence[tuple[float, shapely.Geometry]], *,
                     source: str) -> float:
    """Replace the population of ``source`` with (people, WGS84 polygon) areas; the total."""
    conn.execute(text("DELETE FROM rc.population WHERE source = :source"), {"source": source})
    conn.execute(text(
        "INSERT INTO rc.population (population, source, geom) "
        "SELECT p, :source, ST_Multi(ST_CollectionExtract(ST_MakeValid("
        "ST_SetSRID(ST_GeomFromWKB(g), 4326)), 3)) "
        "FROM unnest(CAST(:p AS float8[]), CAST(:g AS bytea[])) AS t (p, g)"),
        {"source": source, "p": [p for p, _ in areas],
         "g": [shapely.to_wkb(g) for _, g in areas]})
    return float(sum(p for p, _ in areas))


def population_points(conn: Connection, *, cell_m: float = CELL_M
                      ) -> tuple[list[float], list[float], list[float]]:
    """All population as weighted points (lon, lat, people) with zones cut on a grid of about
    ``cell_m``, seen from ``conn``'s transaction (so a population being loaded counts)."""
    rows = conn.execute(text("SELECT lon, lat, people FROM rc.population_points(:cell)"),
                        {"cell": cell_m}).all()
    return [r.lon for r in rows], [r.lat for r in rows], [r.people for r in rows]
