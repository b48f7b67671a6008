"""Graded dispatch: which call categories get volunteers, an AED runner and a drone besides the
ambulance, and what their destination hospital must treat (rc.dispatch_grade, which
deployments extend)."""

from dataclasses import dataclass

from sqlalchemy import Engine, text

from rescuecircle.errors import InvalidInput


@dataclass(frozen=True)
class Grade:
    """What a category of call gets besides the ambulance."""

    category: str | None
    volunteers: bool
    aed_runner: bool
    drone: bool
    destination_capability: str | None = None     # None: any emergency department


# A call not yet triaged gets everything: a missed cardiac arrest costs more than an alert.
UNTRIAGED = Grade(None, True, True, True)


def grade_of(engine: Engine, category: str | None) -> Grade:
    """The grade of ``category``; InvalidInput naming the known ones when it is unknown."""
    if category is None:
        return UNTRIAGED
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT category, volunteers, aed_runner, drone, destination_capability "
            "FROM rc.dispatch_grade")).all()
    grades = {r.category: Grade(r.category, r.volunteers, r.aed_runner, r.drone,
                                r.destination_capability) for r in rows}
    if category not in grades:
        raise InvalidInput(f"category {category!r} is unknown; use one of "
                           f"{', '.join(sorted(grades))} (rows of rc.dispatch_grade)")
    return grades[category]
