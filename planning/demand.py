"""What siting weighs: where people live, where calls came from, or a mix of the two.

Both are gathered on the same square cells (``cell_m``, local metres) into one demand point per
cell at the demand-weighted centre, carrying the people and the calls of the cell, so every
plan can say what it covers in both units whatever it was optimised for.

Calls are counted per cell rather than smoothed by a kernel density: a count is what the
dispatch log says happened, an analyst can check it cell by cell, it keeps a cluster of calls
(a station concourse, a market) where it is instead of spreading it over a bandwidth that
would itself decide the answer, and it is the weight spopt and every MCLP text use, so the
bench compares like with like. Coverage already smooths: a site covers every cell within its
minutes, not the cell it stands on.

``mix:A`` gives the calls the share A of the demand: each call counts as ``people / calls``
people (the totals made equal), times A, and each person as 1 - A, so neither unit drowns the
other whatever their sizes; ``population`` is ``mix:0`` (people as they are) and ``incidents``
``mix:1`` (calls as they are).
"""

from dataclasses import dataclass

import numpy as np

from planning.inputs import Points
from rescuecircle.errors import InvalidInput
from routing.projection import LocalProjection

CELL_KEY = 1_000_003   # rows per column in a cell key: far more than any city has


@dataclass(frozen=True)
class Weighting:
    """The share of the demand given to calls: 0 people only, 1 calls only."""

    incidents_share: float

    @classmethod
    def parse(cls, text: str, name: str = "demand") -> "Weighting":
        """``population``, ``incidents`` or ``mix:A`` with A in [0, 1]."""
        value = str(text).strip().lower()
        if value == "population":
            return cls(0.0)
        if value == "incidents":
            return cls(1.0)
        if value.startswith("mix:"):
            try:
                share = float(value[4:])
            except ValueError:
                share = float("nan")
            if 0 <= share <= 1:
                return cls(share)
        raise InvalidInput(f"{name} {text!r} is not population, incidents or mix:A with the "
                           "calls' share A in the allowed range 0-1")

    @property
    def needs_people(self) -> bool:
        """Whether the population enters the objective."""
        return self.incidents_share < 1

    @property
    def needs_calls(self) -> bool:
        """Whether the calls enter the objective."""
        return self.incidents_share > 0

    def label(self) -> str:
        """The weighting as it is written on the command line."""
        if self.incidents_share == 0:
            return "population"
        return "incidents" if self.incidents_share == 1 else f"mix:{self.incidents_share:g}"


@dataclass(frozen=True, eq=False)
class Demand:
    """One demand point per cell: centre (local metres), the objective's weight, and the
    people and calls of the cell."""

    x: np.ndarray
    y: np.ndarray
    weight: np.ndarray
    people: np.ndarray
    calls: np.ndarray


def gather(projection: LocalProjection, people: Points, calls: Points, weighting: Weighting,
           *, cell_m: float) -> Demand:
    """People (values ``people``) and calls (values ``calls``, else one per point) gathered on
    ``cell_m`` cells and weighted as ``weighting`` says. Cells with neither are left out; a
    cell that weighs nothing (people only, weighted by calls) keeps its people for the report,
    centred on them."""
    people_n = np.asarray(people.values.get("people", np.ones(len(people.lon))), float)
    calls_n = np.asarray(calls.values.get("calls", np.ones(len(calls.lon))), float)
    total_people, total_calls = people_n[people_n > 0].sum(), calls_n[calls_n > 0].sum()
    if weighting.needs_people and total_people <= 0:
        raise InvalidInput(f"demand {weighting.label()} weighs people, and there are none")
    if weighting.needs_calls and total_calls <= 0:
        raise InvalidInput(f"demand {weighting.label()} weighs calls, and no incident was "
                           "selected")
    share = weighting.incidents_share
    per_call = 1.0 if share == 1 else share * total_people / total_calls if share else 0.0
    x, y = projection.to_xy(np.concatenate([people.lon, calls.lon]),
                            np.concatenate([people.lat, calls.lat]))
    p = np.concatenate([people_n, np.zeros(len(calls_n))])
    c = np.concatenate([np.zeros(len(people_n)), calls_n])
    keep = (p > 0) | (c > 0)
    x, y, p, c = x[keep], y[keep], p[keep], c[keep]
    w = (1 - share) * p + per_call * c
    key = np.floor(x / cell_m).astype(np.int64) * CELL_KEY + np.floor(y / cell_m).astype(np.int64)
    cells, which = np.unique(key, return_inverse=True)

    def per_cell(values: np.ndarray) -> np.ndarray:
        return np.bincount(which, values, len(cells))

    weight, cell_people, cell_calls = per_cell(w), per_cell(p), per_cell(c)
    centre_by = np.where(weight[which] > 0, w, p + c)   # a weightless cell: its people
    mass = per_cell(centre_by)
    return Demand(per_cell(centre_by * x) / mass, per_cell(centre_by * y) / mass, weight,
                  cell_people, cell_calls)
