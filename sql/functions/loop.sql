-- The live dispatch loop: incident events numbered in commit order, and the claims that keep a
-- unit in one incident at a time.

CREATE OR REPLACE FUNCTION rc.incident_event_add(
    incident integer, kind text, unit_kind text DEFAULT NULL, unit_id integer DEFAULT NULL,
    data jsonb DEFAULT '{}', created_by text DEFAULT NULL, at timestamptz DEFAULT now())
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    next_seq integer;
BEGIN
    -- The row lock taken here is held to commit, so events of one incident commit in the order
    -- of their numbers: a reader that has seen number n has seen every number below it.
    UPDATE rc.incident i SET event_seq = i.event_seq + 1 WHERE i.id = incident
        RETURNING i.event_seq INTO next_seq;
    IF next_seq IS NULL THEN
        RAISE EXCEPTION 'incident % does not exist', incident USING ERRCODE = 'P0002';
    END IF;
    INSERT INTO rc.incident_event (incident_id, seq, at, kind, unit_kind, unit_id, data,
                                   created_by)
    VALUES (incident, next_seq, coalesce(at, now()), kind, unit_kind, unit_id,
            coalesce(data, '{}'), created_by);
    RETURN next_seq;
END;
$$;
COMMENT ON FUNCTION rc.incident_event_add(integer, text, text, integer, jsonb, text, timestamptz)
    IS 'Append an event to an incident; its number (1, 2, ... per incident, in commit order)';

CREATE OR REPLACE FUNCTION rc.release_claims(
    incident integer, kind text, unit integer, reason text)
RETURNS integer
LANGUAGE sql AS $$
    WITH released AS (
        UPDATE rc.assignment c SET released_at = now(), release_reason = reason
        WHERE c.incident_id = incident AND c.released_at IS NULL
          AND (kind IS NULL OR (c.unit_kind = kind AND c.unit_id = unit))
        RETURNING 1)
    SELECT count(*)::integer FROM released;
$$;
COMMENT ON FUNCTION rc.release_claims(integer, text, integer, text) IS
    'Free a unit (or, with kind NULL, every unit) sent to an incident; how many were freed';
