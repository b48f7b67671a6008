"""Coverage layers for planners: stations, available AEDs, drone pads, the 5-minute circle,
hospital catchments and training sites, each as bands with population (WGS84 features) and as
a travel-time surface (GeoTIFF).

Each network layer is one multi-source search (``routing.coverage``); the circle is the
earliest of the AED walk and the drone flight; hospital catchments and training sites run
towards the places, as people travel to them.
"""

from collections.abc import Sequence
from typing import Any

import shapely
import shapely.geometry

from planning.catchment import CATCHMENT_MINUTES, capable, catchment_grid
from planning.catchment import PREFIX as CATCHMENT_PREFIX
from planning.inputs import PlanningInputs
from planning.kpi import AED_WALK_MINUTES, drone_grid, network_grid
from planning.training_kpi import TRAINING_DRIVE_MIN
from rescuecircle.errors import InvalidInput, NoRoute
from routing.coverage import CoverageLayer, coverage_layer, earliest
from routing.isochrone import PeopleXY, check_minutes, edge_notes
from routing.network import Network

NO_POPULATION = ("no population is loaded, so the people covered are unknown: run "
                 "`rescuecircle import population FILE`")
# Hospital catchments: "hospitals" (any emergency department) or "hospitals:<capability>"
# for any row of rc.hospital_capability; the standard capabilities are listed for clients.
CATCHMENT_LAYERS = ("hospitals", "hospitals:chest_pain", "hospitals:stroke",
                    "hospitals:trauma", "hospitals:paediatric", "hospitals:maternity",
                    "hospitals:burns")
LAYERS = ("stations", "aeds", "drone-pads", "circle", *CATCHMENT_LAYERS, "training-sites")
DEFAULT_MINUTES = {"stations": (5.0, 8.0, 12.0), "aeds": (AED_WALK_MINUTES,),
                   "drone-pads": (AED_WALK_MINUTES,), "circle": (AED_WALK_MINUTES,),
                   **{name: CATCHMENT_MINUTES for name in CATCHMENT_LAYERS},
                   "training-sites": (TRAINING_DRIVE_MIN,)}


def people_xy(network: Network, inputs: PlanningInputs) -> PeopleXY:
    """The population points in the network's local metres."""
    x, y = network.projection.to_xy(inputs.people.lon, inputs.people.lat)
    return PeopleXY(x, y, inputs.people.values["people"].astype(float))


def build_layer(network: Network, inputs: PlanningInputs, name: str, *,
                minutes: Sequence[float] | None = None, hour: int | None = None) -> CoverageLayer:
    """One layer to ``max(minutes)``; NoRoute when it has no usable facility. A catchment
    layer ("hospitals", "hospitals:stroke") is the drive *to* the nearest such hospital."""
    if name not in LAYERS and not name.startswith(f"{CATCHMENT_PREFIX}:"):
        raise InvalidInput(f"layer '{name}' is unknown; use one of {', '.join(LAYERS)}")
    limits = check_minutes(list(minutes or DEFAULT_MINUTES.get(name, CATCHMENT_MINUTES)))
    top_min = max(limits)
    if name.startswith(CATCHMENT_PREFIX) or name == "training-sites":
        # people travel to these: the drive *to* the nearest one
        places = (inputs.training_sites if name == "training-sites" else
                  capable(inputs.hospitals, name.partition(":")[2] or None))
        grid = catchment_grid(network, places, limit_min=top_min, hour=hour)
        if grid is None:
            raise NoRoute(
                "layer 'training-sites': no training site is loaded: run `rescuecircle import "
                "training-sites FILE`" if name == "training-sites" else
                f"layer '{name}': no emergency department with that capability is loaded: run "
                "`rescuecircle import hospitals FILE` (columns emergency and capabilities)")
        people = people_xy(network, inputs) if len(inputs.people.lon) else None
        return coverage_layer(name, grid, limits, population=people,
                              facilities_used=len(places.lon))
    aeds = inputs.available_aeds()
    pads = inputs.drone_pads
    walk = network_grid(network, aeds, "walk", top_min, None) if name in ("aeds", "circle") \
        else None
    fly = drone_grid(network, pads, top_min * 60, inputs.no_fly) \
        if name in ("drone-pads", "circle") else None
    if name == "stations":
        grid = network_grid(network, inputs.stations, "drive", top_min, hour)
        used = len(inputs.stations.lon)
    else:
        parts = [g for g in (walk, fly) if g is not None]
        grid = (parts[0] if len(parts) == 1 else earliest(parts, cell_m=min(
            g.cell_m for g in parts))) if parts else None
        used = ((len(aeds.lon) if walk is not None else 0)
                + (len(pads.lon) if fly is not None else 0))
    if grid is None:
        raise NoRoute(f"layer '{name}' has no facility that can be placed on the network")
    people = people_xy(network, inputs) if len(inputs.people.lon) else None  # None: unknown
    return coverage_layer(name, grid, limits, population=people,
                          facilities_used=used)


def band_records(
    network: Network, layer: CoverageLayer
) -> tuple[list[bytes], list[dict[str, Any]]]:
    """The bands as WGS84 WKB and properties (largest first), for ``gis.export``."""
    wkb, records = [], []
    for band in reversed(layer.bands):
        wkb.append(shapely.to_wkb(network.to_lonlat(band.geometry)))
        records.append({"layer": layer.name, "minutes": band.minutes,
                        "area_km2": round(band.area_km2, 4),
                        "population": None if band.people is None else round(band.people),
                        "truncated": band.truncated})
    return wkb, records


def band_geojson(network: Network, layer: CoverageLayer, notes: Sequence[str] = ()
                 ) -> dict[str, Any]:
    """The bands as a GeoJSON FeatureCollection (WGS84), with the ``notes`` that go with them
    (see ``layer_notes``)."""
    wkb, records = band_records(network, layer)
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props,
         "geometry": shapely.geometry.mapping(shapely.from_wkb(g))}
        for g, props in zip(wkb, records, strict=True)], "notes": list(notes)}


def layer_notes(inputs: PlanningInputs, layer: CoverageLayer) -> list[str]:
    """What a reader of the layer must know: people unknown when no population is loaded,
    bands cut short by the edge of the loaded network."""
    missing = [] if len(inputs.people.lon) else [NO_POPULATION]
    return missing + edge_notes(layer.grid, layer.bands)
