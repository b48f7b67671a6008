"""Stored incidents as quality control reads them: each one's call times, first arrivals,
outcome and the ambulances it sent, from its events (``rc.incident_event``).

No volunteer's name or position leaves here: only when the first volunteer arrived. The call
type is the incident's dispatch category when ``rc.dispatch_grade`` knows it ("untriaged"
without one, "other" for any other text), so no free text reaches an analyst. The district is
the ``rc.district`` holding the incident's point (the lowest id where districts overlap).
"""

from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import Engine, text

from planning.inputs import IncidentTimeline, UnitTimes

NEVER_BEFORE, NEVER_AFTER = datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC)

_INCIDENTS = """
SELECT i.id, coalesce(e.received, i.reported_at) AS received, coalesce(e.answered,
       i.answered_at) AS answered, e.volunteer, e.aed, i.outcome, i.rosc,
       CASE WHEN i.category IS NULL THEN 'untriaged' ELSE coalesce(g.category, 'other') END
           AS call_type,
       coalesce((SELECT d.name FROM rc.district d WHERE ST_Intersects(d.geom, i.geom)
                 ORDER BY d.id LIMIT 1), '') AS district
FROM rc.incident i
LEFT JOIN rc.dispatch_grade g ON g.category = i.category
LEFT JOIN LATERAL (
    SELECT min(at) FILTER (WHERE kind = 'call_received') AS received,
           min(at) FILTER (WHERE kind = 'call_answered') AS answered,
           min(at) FILTER (WHERE kind = 'on_scene' AND unit_kind = 'volunteer') AS volunteer,
           min(at) FILTER (WHERE kind = 'aed_at_patient') AS aed
    FROM rc.incident_event WHERE incident_id = i.id) e ON true
WHERE i.reported_at >= :start AND i.reported_at < :end
ORDER BY i.reported_at, i.id
"""

_AMBULANCES = """
SELECT e.incident_id, e.unit_id, coalesce(a.call_sign, 'ambulance ' || e.unit_id) AS unit,
       min(e.at) FILTER (WHERE e.kind = 'dispatched') AS dispatched,
       min(e.at) FILTER (WHERE e.kind = 'on_scene') AS arrived
FROM rc.incident_event e
JOIN rc.incident i ON i.id = e.incident_id
LEFT JOIN rc.ambulance a ON a.id = e.unit_id
WHERE e.unit_kind = 'ambulance' AND i.reported_at >= :start AND i.reported_at < :end
GROUP BY e.incident_id, e.unit_id, a.call_sign
ORDER BY e.incident_id, min(e.at), e.unit_id
"""


def incident_timelines(engine: Engine, *, start: datetime | None, end: datetime | None
                       ) -> list[IncidentTimeline]:
    """The incidents whose call was received in [start, end) (None: unbounded), in order of
    the call."""
    bounds = {"start": start or NEVER_BEFORE, "end": end or NEVER_AFTER}
    with engine.connect() as conn:
        incidents = conn.execute(text(_INCIDENTS), bounds).all()
        sent: dict[int, list[UnitTimes]] = defaultdict(list)
        for row in conn.execute(text(_AMBULANCES), bounds):
            sent[row.incident_id].append(UnitTimes(row.unit, row.dispatched, row.arrived))
    return [IncidentTimeline(
        incident_id=r.id, call_type=r.call_type, district=r.district, received_at=r.received,
        answered_at=r.answered, volunteer_arrived_at=r.volunteer, aed_at_patient_at=r.aed,
        outcome=r.outcome, rosc=r.rosc, ambulances=tuple(sent[r.id])) for r in incidents]
