"""The synthetic "Demo City (synthetic)" for demos, tests and benchmarks: `generate_demo_city`
puts the parts of this package together and writes its three files, the same for the same seed.

The three files together look like the inputs of a real deployment, so every import path can
run without downloading anything:

* ``demo_city.osm.pbf``: OpenStreetMap data with real OSM tags. A road hierarchy on a jittered,
  gently warped 125 m lattice: ``primary``/``secondary`` arterials every 1.5 km (maxspeed 60),
  ``tertiary`` collectors every 500 m, ``residential`` streets every 125 m in the dense core and
  every 250 m in the suburbs; in the rural fringe only ``unclassified`` roads, ``track`` s and a
  few village clusters. Also a one-way pair, a roundabout, walk-only ways (``footway``,
  ``steps``, ``path``, ``pedestrian``), a motorway with two carriageways (one-way implied) and
  ``motorway_link`` s along the south side, and maxspeed in several syntaxes (``50``,
  ``30 mph``, ``CN:urban``, ``CN:rural``). Ways share their nodes at intersections. A river
  (``waterway=river`` line plus a ``natural=water`` closed way) crosses the city west to east;
  roads are cut at it except on exactly 4 bridges (``bridge=yes``, ``layer=1``), one of them a
  footbridge. POI nodes: AEDs (``emergency=defibrillator``, refs ``DEMO-AED-0001``...),
  hospitals (``amenity=hospital``) and ambulance stations (``emergency=ambulance_station``,
  refs ``DEMO-AMB-01``...). Exactly one AED has the malformed ``opening_hours``
  `demo.facilities.MALFORMED_OPENING_HOURS`. Node ids start at 1, way ids at `FIRST_WAY_ID`.
* ``population.tif``: people per ~100 m cell (EPSG:4326, float32): ~20,000 people/km2 in the
  core, falling off through the suburbs to ~100/km2 in the fringe, 0 on the river.
* ``demo_extras.json``: everything that is not OSM data, as `demo.extras.DemoExtras`::

    {
      "name": "Demo City (synthetic)", "synthetic": true, "seed": 42, "size_km": 15.0,
      "centre_lon": 114.2, "centre_lat": 22.65,
      "bbox": [west, south, east, north],        # degrees
      "reference_date": "2026-11-01",            # the "today" the expiry dates refer to
      "aed_registry": {                           # keyed by the OSM ref of every AED node
        "DEMO-AED-0001": {"status": "ready",      # ready|fault|in_use|out_of_service|missing
                          "battery_expires_on": "2027-05-02", "pads_expire_on": "2026-08-30",
                          "last_inspected_at": "2026-06-11T14:20:00Z"}, ...},
      "ambulances": {                             # keyed by the OSM ref of every station node
        "DEMO-AMB-01": [{"call_sign": "DEMO-AMB-01A", "status": "available"}, ...], ...},
      "drone_pads": [{"ref", "name", "lon", "lat", "range_km", "cruise_speed_kmh"}, ...],
      "training_sites": [{"ref", "name", "lon", "lat", "capacity"}, ...],
      "volunteers": [{"id": "DEMO-VOL-0001", "name": "Volunteer 0001",
                      "level",                    # emergency_responder|junior|senior
                      "availability",             # available|busy|off_duty
                      "lon", "lat", "accuracy_m"}, ...],
      "districts": [{"code": "DC-01", "name", "kind": "urban"|"rural",
                     "geometry": GeoJSON Polygon}, ...]   # 6 districts tiling the city
    }

All coordinates are WGS84 lon/lat (EPSG:4326), *not* GCJ-02, although the city lies in China
(centre 114.20 E, 22.65 N). Geometry is built in metres on a local equirectangular projection
about the centre. The same seed and size give byte-identical files. Nothing here is a real place.

`size_km` scales the whole city (zones, river position, POI counts grow with the area), so a
benchmark can ask for a network of a given size; `demo.sizes.generate_network_of_size` picks
`size_km` for a target number of edges, where an edge is a piece of a ``highway`` way between
two nodes that are way ends or shared with another way (what a pgRouting importer produces).
"""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import osmium
import rasterio
from numpy.typing import NDArray

from demo.extras import DemoExtras
from demo.facilities import (
    REFERENCE_DATE,
    add_pois,
    aed_registry,
    ambulances,
    area_factor,
    drone_pads,
    training_sites,
)
from demo.layout import CENTRE_LAT, CENTRE_LON, bbox_deg, districts, to_lonlat
from demo.model import City, random_stream
from demo.network import build_city
from demo.people import population, volunteers

CITY_NAME = "Demo City (synthetic)"
MIN_SIZE_KM = 5.0
MAX_SIZE_KM = 350.0  # about 3 million road edges (a province, issue 18)
FIRST_WAY_ID = 1_000_000_001


@dataclass(frozen=True)
class DemoCityFiles:
    """Paths of the three generated files."""

    osm_pbf: Path
    extras_json: Path
    population_tif: Path


def _extras(
    city: City,
    aed_refs: list[str],
    station_refs: list[str],
    people: NDArray[np.float32],
    transform: rasterio.Affine,
) -> DemoExtras:
    """Registry, fleet, drone pads, training sites, volunteers and districts of the city.

    All are drawn from one random stream, in this order.
    """
    rng = random_stream(city.seed, "extras")
    fleet = ambulances(rng, station_refs)
    pads = drone_pads(rng, city)
    sites = training_sites(rng, city)
    return DemoExtras(
        name=CITY_NAME,
        synthetic=True,
        seed=city.seed,
        size_km=city.size_km,
        centre_lon=CENTRE_LON,
        centre_lat=CENTRE_LAT,
        bbox=bbox_deg(city.layout),
        reference_date=REFERENCE_DATE.isoformat(),
        aed_registry=aed_registry(rng, aed_refs),
        ambulances=fleet,
        drone_pads=pads,
        training_sites=sites,
        volunteers=volunteers(rng, round(300 * area_factor(city)), people, transform),
        districts=districts(city.layout),
    )


def _write_pbf(city: City, path: Path) -> None:
    """Nodes sorted by id, then ways; a fixed header so the bytes depend only on the city."""
    header = osmium.io.Header()
    header.set("generator", "rescuecircle demo_city")
    w, s, e, n = bbox_deg(city.layout)
    header.add_box(osmium.osm.Box(osmium.osm.Location(w, s), osmium.osm.Location(e, n)))
    lon, lat = to_lonlat(*np.vstack([city.lattice_xy_m, np.array(city.extra.xy_m)]).T)
    no_tags: list[dict[str, str]] = [{}] * len(city.lattice_xy_m)
    tags = no_tags + city.extra.tags
    path.unlink(missing_ok=True)
    with osmium.SimpleWriter(str(path), header=header) as writer:
        for i, (x, y, t) in enumerate(zip(lon.tolist(), lat.tolist(), tags, strict=True)):
            writer.add_node(osmium.osm.mutable.Node(id=i + 1, location=(x, y), tags=t, version=1))
        for i, way in enumerate(city.ways):
            writer.add_way(
                osmium.osm.mutable.Way(
                    id=FIRST_WAY_ID + i, nodes=way.nodes, tags=way.tags, version=1
                )
            )


def _write_population(people: NDArray[np.float32], transform: rasterio.Affine, path: Path) -> None:
    path.unlink(missing_ok=True)
    profile = {
        "driver": "GTiff",
        "width": people.shape[1],
        "height": people.shape[0],
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": transform,
        "compress": "deflate",
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(people, 1)
        dst.set_band_description(1, "population")
        dst.update_tags(name=CITY_NAME, units="people per cell", synthetic="true")


def check_args(seed: int, size_km: float) -> None:
    """Refuse a size_km outside [MIN_SIZE_KM, MAX_SIZE_KM] or a negative seed."""
    if not MIN_SIZE_KM <= size_km <= MAX_SIZE_KM:
        raise ValueError(f"size_km={size_km} is outside [{MIN_SIZE_KM}, {MAX_SIZE_KM}]")
    if seed < 0:
        raise ValueError(f"seed={seed} must be >= 0")


def write_city(city: City, out_dir: Path) -> DemoCityFiles:
    """Add facilities and people to a built city and write its three files into out_dir."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = DemoCityFiles(
        osm_pbf=out_dir / "demo_city.osm.pbf",
        extras_json=out_dir / "demo_extras.json",
        population_tif=out_dir / "population.tif",
    )
    aed_refs, station_refs = add_pois(city)
    people, transform = population(city)
    extras = _extras(city, aed_refs, station_refs, people, transform)
    _write_pbf(city, files.osm_pbf)
    _write_population(people, transform, files.population_tif)
    files.extras_json.write_text(json.dumps(asdict(extras), indent=1) + "\n")
    return files


def generate_demo_city(out_dir: Path, *, seed: int = 42, size_km: float = 15.0) -> DemoCityFiles:
    """Write the demo city (PBF, extras JSON, population GeoTIFF) into out_dir.

    The same seed and size_km give byte-identical files; size_km is the side of the square
    city in kilometres, between MIN_SIZE_KM and MAX_SIZE_KM. Existing files are replaced.

    >>> files = generate_demo_city(Path("/tmp/demo"))  # doctest: +SKIP
    """
    check_args(seed, size_km)
    return write_city(build_city(seed, size_km), out_dir)
