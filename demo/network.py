"""The road network of the demo city for a seed and size: lattice streets cut at the river,
bridges, roundabout, walkways, motorway and the river itself, as one City in local metres."""

import math

import numpy as np
from shapely.geometry.polygon import orient

from demo.layout import GRID_STEP_M, layout_for
from demo.model import City, Nodes, Way, random_stream
from demo.motorway import motorway
from demo.river import river_geometry
from demo.streets import (
    ROUNDABOUT,
    Warp,
    cut_at_river,
    diagonal_walkways,
    lattice,
    lattice_ways,
    village_centres,
)


def build_city(seed: int, size_km: float) -> City:
    """Lay out the road network, river and motorway in local metres (no POIs yet)."""
    lay = layout_for(size_km)
    rng = random_stream(seed, "network")
    river, water, corridor = river_geometry(lay, rng)
    villages = village_centres(lay, rng, river)
    warp = Warp(tuple(rng.uniform(0, 2 * np.pi, 2)))
    lat = lattice(lay, rng, villages, warp)
    before_cut = cut_at_river(lat, corridor)
    rb_m, rb_c = ROUNDABOUT[1] - lay.row_min, ROUNDABOUT[0] + lay.n
    diagonals = diagonal_walkways(lat, rng, corridor, (rb_m, rb_c))

    used = lat.used()
    for m, c, _ in diagonals:
        used[m, c] = used[m + 1, c + 1] = True
    used[rb_m, rb_c] = False  # replaced by the roundabout ring
    ids = np.zeros(used.shape, np.int64)
    ids[used] = np.arange(1, int(used.sum()) + 1)
    extra = Nodes(int(used.sum()) + 1)

    centre = lat.xy_m[rb_m, rb_c]
    ring = [
        extra.add(*(centre + 30.0 * np.array([math.cos(a), math.sin(a)])))
        for a in np.arange(8) * math.pi / 4
    ]  # counter-clockwise from east
    ways = [
        Way(
            ring + ring[:1],
            {"highway": "secondary", "junction": "roundabout", "name": "Demo Circus"},
        )
    ]
    motorway_ways, terminal = motorway(lay, warp, extra)
    ways += motorway_ways

    ways += lattice_ways(lat, lay, ids, ring, terminal, before_cut, corridor, extra, rng)

    for m, c, kind in diagonals:
        a, b = int(ids[m, c]), int(ids[m + 1, c + 1])
        if kind == "steps":  # a footway to the middle of the cell, then steps
            mid = extra.add(*((lat.xy_m[m, c] + lat.xy_m[m + 1, c + 1]) / 2))
            ways += [Way([a, mid], {"highway": "footway"}), Way([mid, b], {"highway": "steps"})]
        else:
            ways.append(Way([a, b], {"highway": kind}))

    river_ids = [extra.add(x, y) for x, y in river.coords]
    ways.append(Way(river_ids, {"waterway": "river", "name": "Demo River"}))
    water_ids = [extra.add(x, y) for x, y in orient(water, 1.0).exterior.coords[:-1]]
    water_tags = {"natural": "water", "water": "river", "name": "Demo River"}
    ways.append(Way(water_ids + water_ids[:1], water_tags))

    return City(
        seed=seed,
        size_km=size_km,
        layout=lay,
        lattice_xy_m=lat.xy_m[used],
        lattice_zone=lat.zone[used],
        extra=extra,
        ways=ways,
        river_m=river,
        water_m=water,
        village_centres_m=[(ci * GRID_STEP_M, cj * GRID_STEP_M) for ci, cj in villages],
    )
