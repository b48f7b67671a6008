-- Volunteer registry: approval with an electronic certificate, and promotion by service.

CREATE OR REPLACE FUNCTION rc.volunteer_set_status(volunteer_id integer, status text,
                                                   reason text, actor text)
RETURNS uuid LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    was text;
    certificate uuid;
BEGIN
    SELECT v.status INTO was FROM rc.volunteer v WHERE v.id = volunteer_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'volunteer_id %: no such volunteer', volunteer_id
            USING ERRCODE = '22023';
    END IF;
    IF (was, status) NOT IN (('pending', 'active'), ('pending', 'suspended'),
                             ('active', 'suspended'), ('suspended', 'active')) THEN
        RAISE EXCEPTION 'status %: % volunteers can become %', coalesce(status, 'NULL'), was,
            CASE was WHEN 'pending' THEN 'active or suspended' WHEN 'active' THEN 'suspended'
                     ELSE 'active' END
            USING ERRCODE = '22023';
    END IF;
    UPDATE rc.volunteer v SET
        status = volunteer_set_status.status, status_reason = reason,
        status_changed_at = now(), status_changed_by = actor,
        ecert_id = CASE WHEN volunteer_set_status.status = 'active'
                        THEN coalesce(v.ecert_id, gen_random_uuid()) ELSE v.ecert_id END
    WHERE v.id = volunteer_id
    RETURNING v.ecert_id INTO certificate;
    RETURN certificate;
END;
$$;
COMMENT ON FUNCTION rc.volunteer_set_status(integer, text, text, text) IS
    'Approve (pending -> active), suspend or reinstate a volunteer; returns the electronic '
    'certificate id, issued at the first approval and kept for good (NULL until then)';

CREATE OR REPLACE FUNCTION rc.volunteer_promotions_due(
    junior_rescues integer, junior_service_h double precision,
    senior_rescues integer, senior_service_h double precision)
RETURNS TABLE (volunteer_id integer, from_level text, to_level text, rescues integer,
               service_h double precision)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF least(junior_rescues, senior_rescues) < 0 OR least(junior_service_h, senior_service_h) < 0
    THEN
        RAISE EXCEPTION 'junior_rescues %, junior_service_h %, senior_rescues %, '
            'senior_service_h %: thresholds must not be negative', junior_rescues,
            junior_service_h, senior_rescues, senior_service_h USING ERRCODE = '22023';
    END IF;
    RETURN QUERY
    WITH served AS (
        SELECT v.id, v.level,
               count(s.id) FILTER (WHERE s.kind = 'rescue')::integer AS rescues,
               coalesce(sum(s.duration_min), 0) / 60.0 AS hours
        FROM rc.volunteer v LEFT JOIN rc.volunteer_service s ON s.volunteer_id = v.id
        WHERE v.status = 'active'
        GROUP BY v.id),
    earned AS (
        SELECT s.*, CASE
            WHEN s.rescues >= senior_rescues AND s.hours >= senior_service_h THEN 'senior'
            WHEN s.rescues >= junior_rescues AND s.hours >= junior_service_h THEN 'junior'
            ELSE 'emergency_responder' END AS level_earned
        FROM served s)
    SELECT e.id, e.level, e.level_earned, e.rescues, e.hours::double precision
    FROM earned e
    WHERE array_position(ARRAY['emergency_responder', 'junior', 'senior'], e.level_earned)
        > array_position(ARRAY['emergency_responder', 'junior', 'senior'], e.level)
    ORDER BY e.id;
END;
$$;
COMMENT ON FUNCTION rc.volunteer_promotions_due(integer, double precision, integer,
                                                double precision) IS
    'Active volunteers whose rescues attended and service hours (rc.volunteer_service) earn a '
    'higher level than theirs (emergency_responder < junior < senior); thresholds per level';
