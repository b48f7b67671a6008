"""The records of demo_extras.json, the half of the demo city that is not OSM data (registry,
fleet, pads, training sites, volunteers, districts), and reading that file back."""

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AedRegistryEntry:
    """Registry state of one AED; dates are ISO strings, compare with the reference date."""

    status: str
    battery_expires_on: str
    pads_expire_on: str
    last_inspected_at: str


@dataclass(frozen=True)
class Ambulance:
    call_sign: str
    status: str


@dataclass(frozen=True)
class DronePad:
    ref: str
    name: str
    lon: float
    lat: float
    range_km: float
    cruise_speed_kmh: float


@dataclass(frozen=True)
class TrainingSite:
    ref: str
    name: str
    lon: float
    lat: float
    capacity: int


@dataclass(frozen=True)
class Volunteer:
    id: str
    name: str
    level: str
    availability: str
    lon: float
    lat: float
    accuracy_m: float


@dataclass(frozen=True)
class District:
    code: str
    name: str
    kind: str
    geometry: dict


@dataclass(frozen=True)
class DemoExtras:
    """The non-OSM half of the demo city, serialised as demo_extras.json."""

    name: str
    synthetic: bool
    seed: int
    size_km: float
    centre_lon: float
    centre_lat: float
    bbox: list[float]
    reference_date: str
    aed_registry: dict[str, AedRegistryEntry]
    ambulances: dict[str, list[Ambulance]]
    drone_pads: list[DronePad]
    training_sites: list[TrainingSite]
    volunteers: list[Volunteer]
    districts: list[District]


def read_extras(path: Path) -> DemoExtras:
    """Load a demo_extras.json written by `generate_demo_city` back into dataclasses."""
    raw = json.loads(Path(path).read_text())
    return DemoExtras(
        **{
            **raw,
            "aed_registry": {k: AedRegistryEntry(**v) for k, v in raw["aed_registry"].items()},
            "ambulances": {k: [Ambulance(**a) for a in v] for k, v in raw["ambulances"].items()},
            "drone_pads": [DronePad(**d) for d in raw["drone_pads"]],
            "training_sites": [TrainingSite(**t) for t in raw["training_sites"]],
            "volunteers": [Volunteer(**v) for v in raw["volunteers"]],
            "districts": [District(**d) for d in raw["districts"]],
        }
    )
