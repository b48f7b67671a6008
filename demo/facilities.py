"""The demo city's emergency facilities: AED, hospital and ambulance station nodes beside the
roads, the AED registry, the ambulance fleet, drone pads and training sites."""

from datetime import date, datetime, time, timedelta

import numpy as np
import shapely
from shapely.geometry import LineString

from demo.extras import AedRegistryEntry, Ambulance, DronePad, TrainingSite
from demo.layout import CORE, RURAL, SUBURB, FloatArray, to_lonlat
from demo.model import City, random_stream
from demo.river import RIVER_HALF_WIDTH_M

REFERENCE_DATE = date(2026, 11, 1)  # the "today" the registry's expiry dates refer to
MALFORMED_OPENING_HOURS = "Mon to Fri 8am till 6pm"


def _beside(rng: np.random.Generator, base_xy_m: FloatArray, river: LineString) -> FloatArray:
    """Each base point moved 12-35 m in a random direction (a building by the road).

    Directions are redrawn until the point is clear of the water; road nodes stay out of
    the river corridor (demo.river), so a dry direction always exists.
    """
    out = np.empty_like(base_xy_m)
    todo = np.arange(len(base_xy_m))
    for _ in range(100):
        angle, dist_m = rng.uniform(0, 2 * np.pi, len(todo)), rng.uniform(12, 35, len(todo))
        step = np.column_stack([np.cos(angle), np.sin(angle)]) * dist_m[:, None]
        out[todo] = base_xy_m[todo] + step
        dry = shapely.distance(river, shapely.points(out[todo])) > RIVER_HALF_WIDTH_M + 15
        todo = todo[~dry]
        if len(todo) == 0:
            return out
    raise RuntimeError(f"{len(todo)} points could not be placed off the river")


def _spread(rng: np.random.Generator, xy_m: FloatArray, count: int) -> FloatArray:
    """count of the points xy_m spread evenly over them: k-means centres snapped to a point.

    Used to site stations, hospitals and pads so that they cover their zone, as a planner would.
    """
    sub = xy_m[rng.choice(len(xy_m), min(len(xy_m), 4000), replace=False)]
    centres = sub[rng.choice(len(sub), count, replace=False)]
    for _ in range(15):
        label = ((sub[:, None, :] - centres[None]) ** 2).sum(-1).argmin(1)
        for j in range(count):
            if np.any(label == j):
                centres[j] = sub[label == j].mean(0)
    return sub[((sub[:, None, :] - centres[None]) ** 2).sum(-1).argmin(0)]


def _zone_counts(total: int, shares: tuple[float, float, float]) -> list[int]:
    """Split total over core/suburb/rural by shares, the rounding remainder to the suburbs."""
    core, rural = round(total * shares[0]), round(total * shares[2])
    return [core, total - core - rural, rural]


def area_factor(city: City) -> float:
    """City area relative to the default 15 km city; POI counts scale with it."""
    return (city.size_km / 15.0) ** 2


_AED_HOURS = ["24/7", "Mo-Fr 08:00-18:00; PH off", "Mo-Su 07:00-22:00",
              "Mo-Fr 09:00-17:00; Sa 09:00-12:00"]  # offices close on public holidays
_AED_PLACES = [
    "Community Centre",
    "Metro Station",
    "Shopping Mall",
    "Primary School",
    "Hotel",
    "Office Tower",
    "Sports Hall",
    "Residential Compound",
    "Clinic",
    "Bank",
]
_AED_SPOTS = {
    True: [
        "Ground floor lobby, next to the reception desk",
        "Beside the lifts",
        "Security office, ask the guard",
        "Main entrance hall, wall cabinet",
    ],
    False: [
        "Outside wall by the main entrance, green cabinet",
        "Bus shelter, weatherproof box",
        "Park gate, next to the information board",
    ],
}


def _add_aeds(city: City, rng: np.random.Generator, by_zone: list[FloatArray]) -> list[str]:
    """AED nodes by buildings near roads, 55% in the core; returns their refs in id order."""
    n_aed = round(150 * area_factor(city))
    base = [
        z[rng.integers(len(z), size=n)]
        for z, n in zip(by_zone, _zone_counts(n_aed, (0.55, 0.33, 0.12)), strict=True)
    ]
    hours = rng.choice(_AED_HOURS, size=n_aed, p=[0.45, 0.25, 0.22, 0.08]).tolist()
    hours[int(rng.integers(n_aed))] = MALFORMED_OPENING_HOURS
    access = rng.choice(["yes", "customers", "private"], size=n_aed, p=[0.7, 0.15, 0.15])
    indoor = (rng.random(n_aed) < 0.65).tolist()
    level = rng.choice(["0", "1", "2", "-1"], size=n_aed, p=[0.6, 0.2, 0.1, 0.1])
    refs = []
    for i, (x, y) in enumerate(_beside(rng, np.vstack(base), city.river_m).tolist()):
        refs.append(f"DEMO-AED-{i + 1:04d}")
        spots = _AED_SPOTS[indoor[i]]
        tags = {
            "emergency": "defibrillator",
            "ref": refs[-1],
            "name": f"Demo {_AED_PLACES[int(rng.integers(len(_AED_PLACES)))]} {i + 1}",
            "opening_hours": hours[i],
            "access": str(access[i]),
            "indoor": "yes" if indoor[i] else "no",
            "level": str(level[i]) if indoor[i] else "0",
            "defibrillator:location": spots[int(rng.integers(len(spots)))],
        }
        city.extra.add(x, y, tags)
    return refs


def add_pois(city: City) -> tuple[list[str], list[str]]:
    """Add AED, hospital and ambulance station nodes; return the AED and station refs.

    Hospitals (half core, half suburbs) and stations (3/8 core, 3/8 suburbs, 1/4 rural) are
    spread over their zones as a planner would site them.
    """
    rng = random_stream(city.seed, "pois")
    by_zone = [city.lattice_xy_m[city.lattice_zone == z] for z in (CORE, SUBURB, RURAL)]
    aed_refs = _add_aeds(city, rng, by_zone)
    f = area_factor(city)

    def sited(count: int, shares: tuple[float, float, float]) -> list[list[float]]:
        counts = _zone_counts(count, shares)
        xy = np.vstack([_spread(rng, z, n) for z, n in zip(by_zone, counts, strict=True) if n])
        return _beside(rng, xy, city.river_m).tolist()

    for i, (x, y) in enumerate(sited(max(2, round(3.5 * f)), (0.5, 0.5, 0.0))):
        name = f"Demo General Hospital {i + 1}"
        tags = {"amenity": "hospital", "healthcare": "hospital", "emergency": "yes", "name": name}
        city.extra.add(x, y, tags)
    station_refs = []
    for i, (x, y) in enumerate(sited(max(4, round(8 * f)), (0.375, 0.375, 0.25))):
        station_refs.append(f"DEMO-AMB-{i + 1:02d}")
        tags = {"emergency": "ambulance_station", "ref": station_refs[-1]}
        city.extra.add(x, y, {**tags, "name": f"Demo Ambulance Station {i + 1}"})
    return aed_refs, station_refs


def aed_registry(rng: np.random.Generator, refs: list[str]) -> dict[str, AedRegistryEntry]:
    """Mostly ready AEDs; ~10% have a battery or pads already expired on REFERENCE_DATE."""
    status = rng.choice(
        ["ready", "fault", "in_use", "out_of_service", "missing"],
        size=len(refs),
        p=[0.82, 0.05, 0.03, 0.06, 0.04],
    ).tolist()
    registry = {}
    for ref, st in zip(refs, status, strict=True):
        day = REFERENCE_DATE - timedelta(days=int(rng.integers(5, 400)))
        at = time(hour=int(rng.integers(8, 18)), minute=int(rng.integers(0, 60)))
        registry[ref] = AedRegistryEntry(
            status=st,
            battery_expires_on=str(REFERENCE_DATE + timedelta(days=int(rng.integers(-120, 900)))),
            pads_expire_on=str(REFERENCE_DATE + timedelta(days=int(rng.integers(-90, 700)))),
            last_inspected_at=datetime.combine(day, at).strftime("%Y-%m-%dT%H:%M:00Z"),
        )
    return registry


def ambulances(rng: np.random.Generator, station_refs: list[str]) -> dict[str, list[Ambulance]]:
    """One to three ambulances at each station, about 70% of them available."""
    return {
        ref: [
            Ambulance(f"{ref}{chr(65 + j)}", "available" if rng.random() < 0.7 else "busy")
            for j in range(int(rng.integers(1, 4)))
        ]
        for ref in station_refs
    }


def drone_pads(rng: np.random.Generator, city: City) -> list[DronePad]:
    """Drone pads spread over the whole city, each with its range and cruise speed."""
    count = max(2, round(4 * area_factor(city)))
    return [
        DronePad(
            f"DEMO-PAD-{i + 1:02d}",
            f"Demo Drone Pad {i + 1}",
            lon,
            lat,
            range_km=float(rng.choice([8.0, 9.0, 10.0])),
            cruise_speed_kmh=float(rng.choice([54.0, 60.0, 72.0])),
        )
        for i, (lon, lat) in enumerate(_lonlat(_spread(rng, city.lattice_xy_m, count)))
    ]


def training_sites(rng: np.random.Generator, city: City) -> list[TrainingSite]:
    """First-aid training centres spread over the core and the suburbs."""
    urban_xy = city.lattice_xy_m[city.lattice_zone != RURAL]
    count = max(2, round(5 * area_factor(city)))
    return [
        TrainingSite(
            f"DEMO-TRN-{i + 1:02d}",
            f"Demo First-Aid Training Centre {i + 1}",
            lon,
            lat,
            capacity=int(rng.integers(2, 7)) * 10,
        )
        for i, (lon, lat) in enumerate(_lonlat(_spread(rng, urban_xy, count)))
    ]


def _lonlat(xy_m: FloatArray) -> list[tuple[float, float]]:
    """(lon, lat) of each point, rounded to 7 decimals (about 1 cm)."""
    lon, lat = to_lonlat(xy_m[:, 0], xy_m[:, 1])
    return [(round(a, 7), round(b, 7)) for a, b in zip(lon.tolist(), lat.tolist(), strict=True)]
