"""Is this city ready? What is loaded (network, registries, planning inputs), and for each
feature whether it can run and what it lacks, with the command that loads it: the first
thing a new deployment asks, answered by ``rescuecircle status`` and ``GET /api/status``."""

from dataclasses import dataclass
from typing import Any

from gis.status import city_facts
from services.context import Context

IMPORT = "rescuecircle import {what} FILE"
FACTS = ("network", "edges", "island_edges", "aeds", "stations", "ambulances", "hospitals",
         "drone_pads", "volunteers", "volunteers_with_fresh_positions", "districts",
         "population")


@dataclass(frozen=True)
class Lack:
    """Something a feature needs and the city lacks; ``blocking`` stops the feature."""

    what: str
    command: str
    blocking: bool


def readiness(context: Context) -> dict[str, Any]:
    """The facts, the time zone and, per feature, ``ready`` and what it ``lacks``."""
    found = city_facts(context.engine)
    facts = {key: found.get(key) for key in FACTS}
    features = {name: [lack.__dict__ for lack in lacks]
                for name, lacks in feature_lacks(facts).items()}
    locale = context.locale()
    return {**facts, "timezone": {"zone": locale.zone, "from": locale.zone_from},
            "country": locale.country, "features": {
        name: {"ready": not any(lack["blocking"] for lack in lacks), "lacks": lacks}
        for name, lacks in features.items()}}


def feature_lacks(facts: dict[str, Any]) -> dict[str, list[Lack]]:
    """What each feature lacks, from the facts of ``rc.readiness``."""
    network = [] if facts.get("network") else [
        Lack("a road network", "rescuecircle import osm FILE", True)]
    aeds = sum((facts.get("aeds") or {}).values())
    ready_aeds = (facts.get("aeds") or {}).get("ready", 0)
    fleet = facts.get("ambulances") or {}
    population = facts.get("population") or 0
    return {
        "dispatch": network + _lacking(
            (sum(fleet.values()) + facts.get("volunteers", 0), "anyone to send: ambulances or "
             "volunteers", _load("ambulances"), True),
            (sum(fleet.values()), "ambulances", _load("ambulances"), False),
            (fleet.get("available", 0) if fleet else 1, "an available ambulance",
             "PUT /api/ambulances/{id}/status", False),
            (facts.get("volunteers", 0), "volunteers", _load("volunteers"), False),
            (facts.get("volunteers_with_fresh_positions", 0) if facts.get("volunteers") else 1,
             "volunteers with a position of the last 15 minutes",
             "PUT /api/volunteers/{id}/position", False),
            (aeds, "AEDs", _load("aeds"), False),
            (ready_aeds if aeds else 1, "a ready AED", "PUT /api/aeds/{id}/status", False),
            (facts.get("drone_pads", 0), "drone pads", _load("drone-pads"), False)),
        "finder": network + _lacking((aeds, "AEDs", _load("aeds"), True)),
        "coverage": network + _lacking(
            (facts.get("stations", 0) + aeds + facts.get("drone_pads", 0),
             "a facility to cover from: stations, AEDs or drone pads", _load("stations"), True),
            (facts.get("stations", 0), "stations", _load("stations"), False),
            (aeds, "AEDs", _load("aeds"), False),
            (population, "population", _load("population"), False)),
        "kpis": network + _lacking(
            (sum((facts.get("districts") or {}).values()), "districts", _load("districts"), True),
            (population, "population", _load("population"), True)),
        "siting": network + _lacking((population, "population", _load("population"), True)),
    }


def _load(kind: str) -> str:
    """The command that loads a registry or planning input of ``kind``."""
    return IMPORT.format(what=kind)


def _lacking(*needs: tuple[float, str, str, bool]) -> list[Lack]:
    """A Lack for every (count, what, command, blocking) whose count is 0."""
    return [Lack(what, command, blocking) for count, what, command, blocking in needs
            if not count]
