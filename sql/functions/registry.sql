-- AED registry: availability at a time, status changes with history, checks (self-tests and
-- inspections) and their rules, use records, expiry alerts, and the triggers that keep the
-- status history, the owner notifications and the opening-hours state in step with rc.aed.
--
-- Who and why reach the status trigger through two transaction-local settings, rc.actor and
-- rc.reason, which rc.aed_set_status and the functions below set; a status changed by plain
-- SQL is still recorded, with the database user as actor and no reason.

-- ---------------------------------------------------------------------------------------
-- helpers

CREATE OR REPLACE FUNCTION rc._local_time(at timestamptz, tz text)
RETURNS timestamp LANGUAGE plpgsql STABLE AS $$
DECLARE
    zone text := coalesce(tz, (SELECT z.zone FROM rc.local_zone() z));
BEGIN
    IF at IS NULL THEN
        RAISE EXCEPTION 'at must be a time, not NULL' USING ERRCODE = '22023';
    END IF;
    RETURN at AT TIME ZONE zone;
EXCEPTION WHEN invalid_parameter_value THEN
    RAISE EXCEPTION 'tz %: not a time zone name (e.g. Asia/Shanghai)', zone
        USING ERRCODE = '22023';
END;
$$;
COMMENT ON FUNCTION rc._local_time(timestamptz, text) IS
    'Helper: the wall-clock time of at in time zone tz; tz NULL: rc.local_zone() (RC_TIMEZONE, '
    'else the loaded network''s zone, else UTC)';

CREATE OR REPLACE FUNCTION rc._aed_access_public(access text)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT access IS NULL
        OR lower(trim(access)) IN ('yes', 'public', 'permissive', 'customers', 'designated',
                                   'destination', '');
$$;
COMMENT ON FUNCTION rc._aed_access_public(text) IS
    'Helper: may a bystander fetch an AED with this OSM access value? NULL (not stated), yes, '
    'public, permissive, designated, destination and customers (reachable while open) may; '
    'private, no, permit and anything else may not';

CREATE OR REPLACE FUNCTION rc._aed_day(local_day date, holiday_rules boolean)
RETURNS smallint LANGUAGE sql STABLE AS $$
    -- The row of rc.aed_opening that applies on a day: 8 on a public holiday for an AED with
    -- holiday rules, else the ISO weekday.
    SELECT CASE WHEN holiday_rules AND EXISTS (
                    SELECT 1 FROM rc.public_holiday h WHERE h.day = local_day) THEN 8
                ELSE extract(isodow FROM local_day) END::smallint;
$$;
COMMENT ON FUNCTION rc._aed_day(date, boolean) IS
    'Helper: the weekday row (1-7, or 8 on a public holiday with holiday rules) of a day';

CREATE OR REPLACE FUNCTION rc._aed_open(aed_id integer, local_ts timestamp,
                                        holiday_rules boolean)
RETURNS boolean LANGUAGE sql STABLE AS $$
    -- An interval of the day, or one of the day before that runs past midnight.
    SELECT EXISTS (
        SELECT 1
        FROM rc.aed_opening o,
             LATERAL (SELECT extract(epoch FROM local_ts - date_trunc('day', local_ts)) / 60.0
                             AS minute) m
        WHERE o.aed_id = _aed_open.aed_id
          AND ((o.weekday = rc._aed_day(local_ts::date, holiday_rules)
                AND m.minute >= o.opens_min AND m.minute < o.closes_min)
            OR (o.weekday = rc._aed_day(local_ts::date - 1, holiday_rules)
                AND m.minute + 1440 >= o.opens_min AND m.minute + 1440 < o.closes_min)));
$$;
COMMENT ON FUNCTION rc._aed_open(integer, timestamp, boolean) IS
    'Helper: is the AED''s parsed schedule open at local time local_ts (holiday hours on '
    'public holidays when it has holiday rules)?';

CREATE OR REPLACE FUNCTION rc._aed_unusable_reason(a rc.aed, local_day date)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN a.status <> 'ready' THEN 'status is ' || a.status
        WHEN a.battery_expires_on < local_day THEN 'battery expired on ' || a.battery_expires_on
        WHEN a.pads_expire_on < local_day THEN 'pads expired on ' || a.pads_expire_on
        WHEN NOT rc._aed_access_public(a.access) THEN 'access is ' || a.access
    END;
$$;
COMMENT ON FUNCTION rc._aed_unusable_reason(rc.aed, date) IS
    'Helper: why an AED is no public, usable device on local day local_day (status not ready, '
    'battery or pads expired, access not public), NULL when it is one; opening hours aside. '
    'What the AEDs-per-100,000 KPI and the duty-venue check count';

CREATE OR REPLACE FUNCTION rc._aed_unavailable_reason(a rc.aed, local_ts timestamp)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(rc._aed_unusable_reason(a, local_ts::date), CASE
        WHEN a.hours_state = 'pending' THEN 'opening hours not parsed yet'
        WHEN a.hours_state = 'malformed' THEN 'opening hours unreadable: ' || a.opening_hours
        WHEN a.hours_state = 'schedule' AND NOT rc._aed_open(a.id, local_ts, a.hours_holiday)
            THEN 'closed at that time (' || a.opening_hours || ')'
    END);
$$;
COMMENT ON FUNCTION rc._aed_unavailable_reason(rc.aed, timestamp) IS
    'Helper: why an AED cannot be fetched at local time local_ts, NULL when it can';

-- ---------------------------------------------------------------------------------------
-- availability

CREATE OR REPLACE FUNCTION rc.aed_unavailable_reason(aed_id integer, at timestamptz,
                                                     tz text DEFAULT NULL)
RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    device rc.aed;
BEGIN
    SELECT * INTO device FROM rc.aed a WHERE a.id = aed_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'aed_id %: no such AED', aed_id USING ERRCODE = '22023';
    END IF;
    RETURN rc._aed_unavailable_reason(device, rc._local_time(at, tz));
END;
$$;
COMMENT ON FUNCTION rc.aed_unavailable_reason(integer, timestamptz, text) IS
    'Why AED aed_id cannot be used at time at (opening hours read in time zone tz), or NULL when '
    'it can: status not ready, battery or pads expired by that local date, access private, '
    'closed, or opening hours unreadable or not parsed yet. tz NULL: rc.local_zone()';

CREATE OR REPLACE FUNCTION rc.aed_available_at(aed_id integer, at timestamptz,
                                               tz text DEFAULT NULL)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT rc.aed_unavailable_reason(aed_id, at, tz) IS NULL;
$$;
COMMENT ON FUNCTION rc.aed_available_at(integer, timestamptz, text) IS
    'Can AED aed_id be fetched and used at time at? Ready status, battery and pads not expired '
    'on that local date, publicly accessible, and open then (opening hours read in time zone '
    'tz, NULL: rc.local_zone(); none given: no restriction; unreadable: not '
    'guaranteed, so false)';

CREATE OR REPLACE FUNCTION rc.aeds_available_at(at timestamptz, tz text DEFAULT NULL)
RETURNS TABLE (aed_id integer, geom geometry(Point, 4326))
LANGUAGE plpgsql STABLE AS $$
DECLARE
    local_ts timestamp := rc._local_time(at, tz);
BEGIN
    RETURN QUERY
        SELECT a.id, a.geom FROM rc.aed a
        WHERE a.status = 'ready' AND rc._aed_unavailable_reason(a, local_ts) IS NULL
        ORDER BY a.id;
END;
$$;
COMMENT ON FUNCTION rc.aeds_available_at(timestamptz, text) IS
    'Every AED rc.aed_available_at(id, at, tz) accepts, with its position (SRID 4326)';

CREATE OR REPLACE FUNCTION rc.aeds_expiring(within_days integer, today date)
RETURNS TABLE (aed_id integer, part text, expires_on date, days_left integer)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF within_days IS NULL OR within_days < 0 OR within_days > 3650 THEN
        RAISE EXCEPTION 'within_days %: must be from 0 to 3650', within_days
            USING ERRCODE = '22023';
    END IF;
    IF today IS NULL THEN
        RAISE EXCEPTION 'today must be a date, not NULL' USING ERRCODE = '22023';
    END IF;
    RETURN QUERY
        SELECT a.id, p.part, p.expires_on, p.expires_on - today
        FROM rc.aed a
        CROSS JOIN LATERAL (VALUES ('battery', a.battery_expires_on),
                                   ('pads', a.pads_expire_on)) AS p (part, expires_on)
        WHERE p.expires_on IS NOT NULL AND p.expires_on <= today + within_days
        ORDER BY p.expires_on, a.id, p.part;
END;
$$;
COMMENT ON FUNCTION rc.aeds_expiring(integer, date) IS
    'Batteries and pads that expire within within_days days of today (already expired ones '
    'too, with negative days_left): the expiry alert list';

-- ---------------------------------------------------------------------------------------
-- status changes

CREATE OR REPLACE FUNCTION rc._set_change_context(actor text, reason text)
RETURNS void LANGUAGE sql VOLATILE AS $$
    SELECT set_config('rc.actor', coalesce(actor, ''), true),
           set_config('rc.reason', coalesce(reason, ''), true);
$$;
COMMENT ON FUNCTION rc._set_change_context(text, text) IS
    'Helper: who makes the next changes in this transaction and why (read by the history trigger)';

CREATE OR REPLACE FUNCTION rc.aed_set_status(aed_id integer, status text, reason text,
                                             actor text)
RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    history_id bigint;
BEGIN
    IF status IS NULL OR status NOT IN ('ready', 'fault', 'in_use', 'out_of_service', 'missing')
    THEN
        RAISE EXCEPTION 'status %: must be ready, fault, in_use, out_of_service or missing',
            coalesce(status, 'NULL') USING ERRCODE = '22023';
    END IF;
    PERFORM 1 FROM rc.aed a WHERE a.id = aed_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'aed_id %: no such AED', aed_id USING ERRCODE = '22023';
    END IF;
    PERFORM rc._set_change_context(actor, reason);
    UPDATE rc.aed a SET status = aed_set_status.status, updated_at = now()
    WHERE a.id = aed_id AND a.status IS DISTINCT FROM aed_set_status.status;
    IF FOUND THEN
        SELECT max(h.id) INTO history_id FROM rc.aed_status_history h
        WHERE h.aed_id = aed_set_status.aed_id;
    END IF;
    PERFORM rc._set_change_context(NULL, NULL);
    RETURN history_id;
END;
$$;
COMMENT ON FUNCTION rc.aed_set_status(integer, text, text, text) IS
    'Set AED aed_id to status, recording reason and actor in rc.aed_status_history; returns the '
    'history id, or NULL when the status was already that';

CREATE OR REPLACE FUNCTION rc._aed_status_logged()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status THEN
        RETURN NULL;
    END IF;
    INSERT INTO rc.aed_status_history (aed_id, old_status, new_status, reason, changed_by)
    VALUES (NEW.id, CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, NEW.status,
            nullif(current_setting('rc.reason', true), ''),
            coalesce(nullif(current_setting('rc.actor', true), ''), session_user));
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION rc._aed_status_logged() IS
    'Trigger: record every AED status, at insert and at each change, in rc.aed_status_history';
CREATE OR REPLACE TRIGGER aed_status_logged
    AFTER INSERT OR UPDATE OF status ON rc.aed
    FOR EACH ROW EXECUTE FUNCTION rc._aed_status_logged();

CREATE OR REPLACE FUNCTION rc._aed_fault_notified()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rc.notification_outbox (topic, event_key, aed_id, recipient, payload)
    SELECT 'aed_' || NEW.new_status, 'aed_status:' || NEW.id, a.id,
           coalesce(a.contact, a.phone),
           jsonb_build_object(
               'aed_id', a.id, 'name', a.name, 'serial', a.serial, 'address', a.address,
               'owner', a.owner, 'contact', a.contact, 'phone', a.phone,
               'status', NEW.new_status, 'previous_status', NEW.old_status,
               'reason', NEW.reason, 'changed_at', NEW.changed_at,
               'lon', ST_X(a.geom), 'lat', ST_Y(a.geom))
    FROM rc.aed a WHERE a.id = NEW.aed_id
    ON CONFLICT (event_key) DO NOTHING;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION rc._aed_fault_notified() IS
    'Trigger: queue one owner notification for each change of an AED into fault or missing';
CREATE OR REPLACE TRIGGER aed_fault_notified
    AFTER INSERT ON rc.aed_status_history
    FOR EACH ROW WHEN (NEW.new_status IN ('fault', 'missing')
                       AND NEW.old_status IS DISTINCT FROM NEW.new_status)
    EXECUTE FUNCTION rc._aed_fault_notified();

-- ---------------------------------------------------------------------------------------
-- opening hours: marked pending when they change, stored parsed by gis/opening_hours.py

CREATE OR REPLACE FUNCTION rc._aed_hours_changed()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.opening_hours IS NOT DISTINCT FROM OLD.opening_hours THEN
        RETURN NEW;
    END IF;
    -- '24/7', the most common value, needs no parser: plain SQL writers get it right at once.
    NEW.hours_state := CASE WHEN nullif(trim(NEW.opening_hours), '') IS NULL THEN 'none'
                            WHEN trim(NEW.opening_hours) = '24/7' THEN 'always'
                            ELSE 'pending' END;
    NEW.hours_problems := NULL;
    NEW.hours_holiday := false;
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM rc.aed_opening o WHERE o.aed_id = NEW.id;
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION rc._aed_hours_changed() IS
    'Trigger: new or changed opening_hours drop the parsed schedule and await parsing '
    '(pending); 24/7 is always, none given is none';
CREATE OR REPLACE TRIGGER aed_hours_changed
    BEFORE INSERT OR UPDATE OF opening_hours ON rc.aed
    FOR EACH ROW EXECUTE FUNCTION rc._aed_hours_changed();

CREATE OR REPLACE FUNCTION rc._aed_store_hours(parsed jsonb)
RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    fresh jsonb;
    stored integer;
BEGIN
    -- Only rows whose opening_hours are still the text that was parsed (a concurrent edit
    -- leaves its row pending for the next sync).
    SELECT coalesce(jsonb_agg(e), '[]') INTO fresh
    FROM jsonb_array_elements(parsed) e
    JOIN rc.aed a ON a.id = (e ->> 'aed_id')::integer AND a.opening_hours = e ->> 'opening_hours';
    DELETE FROM rc.aed_opening o USING jsonb_array_elements(fresh) e
    WHERE o.aed_id = (e ->> 'aed_id')::integer;
    INSERT INTO rc.aed_opening (aed_id, weekday, opens_min, closes_min)
    SELECT (e ->> 'aed_id')::integer, (i ->> 0)::smallint, (i ->> 1)::smallint,
           (i ->> 2)::smallint
    FROM jsonb_array_elements(fresh) e CROSS JOIN jsonb_array_elements(e -> 'intervals') i;
    UPDATE rc.aed a SET hours_state = e ->> 'state', hours_problems = e ->> 'problems',
                        hours_holiday = coalesce((e ->> 'holiday')::boolean, false)
    FROM jsonb_array_elements(fresh) e WHERE a.id = (e ->> 'aed_id')::integer;
    GET DIAGNOSTICS stored = ROW_COUNT;
    RETURN stored;
END;
$$;
COMMENT ON FUNCTION rc._aed_store_hours(jsonb) IS
    'Helper: store parsed opening hours [{aed_id, opening_hours, state, problems, holiday, '
    'intervals: [[weekday (8: public holidays), opens_min, closes_min], ...]}]; returns the '
    'AEDs updated';

-- ---------------------------------------------------------------------------------------
-- checks, uses, reports

CREATE OR REPLACE FUNCTION rc.aed_record_check(
    aed_id integer, kind text, checked_at timestamptz, battery_level_pct real,
    battery_expires_on date, pads_expire_on date, error_codes text[], note text,
    actor text, volunteer_id integer, low_battery_pct real, tz text DEFAULT NULL)
RETURNS TABLE (check_id bigint, outcome text, problems text[], status text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    device rc.aed;
    local_date date := rc._local_time(checked_at, tz)::date;
    found_problems text[] := '{}';
    new_id bigint;
    verdict text;
BEGIN
    IF kind IS NULL OR kind NOT IN ('self_test', 'inspection') THEN
        RAISE EXCEPTION 'kind %: must be self_test or inspection', coalesce(kind, 'NULL')
            USING ERRCODE = '22023';
    END IF;
    IF battery_level_pct IS NOT NULL AND NOT battery_level_pct BETWEEN 0 AND 100 THEN
        RAISE EXCEPTION 'battery_level_pct %: must be from 0 to 100', battery_level_pct
            USING ERRCODE = '22023';
    END IF;
    SELECT * INTO device FROM rc.aed a WHERE a.id = aed_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'aed_id %: no such AED', aed_id USING ERRCODE = '22023';
    END IF;
    IF cardinality(error_codes) > 0 THEN
        found_problems := found_problems || ('error codes ' || array_to_string(error_codes, ','));
    END IF;
    IF battery_level_pct < low_battery_pct THEN
        found_problems := found_problems || format('battery at %s%%', battery_level_pct);
    END IF;
    IF coalesce(battery_expires_on, device.battery_expires_on) < local_date THEN
        found_problems := found_problems || ('battery expired on '
            || coalesce(battery_expires_on, device.battery_expires_on));
    END IF;
    IF coalesce(pads_expire_on, device.pads_expire_on) < local_date THEN
        found_problems := found_problems || ('pads expired on '
            || coalesce(pads_expire_on, device.pads_expire_on));
    END IF;
    verdict := CASE WHEN cardinality(found_problems) = 0 THEN 'ok' ELSE 'fault' END;
    INSERT INTO rc.aed_check (aed_id, kind, checked_at, battery_level_pct, battery_expires_on,
                              pads_expire_on, error_codes, outcome, problems, note, checked_by,
                              volunteer_id)
    VALUES (aed_id, kind, checked_at, battery_level_pct, battery_expires_on, pads_expire_on,
            coalesce(error_codes, '{}'), verdict, found_problems, note, actor, volunteer_id)
    RETURNING id INTO new_id;
    UPDATE rc.aed a SET
        battery_level_pct = coalesce(aed_record_check.battery_level_pct, a.battery_level_pct),
        battery_expires_on = coalesce(aed_record_check.battery_expires_on, a.battery_expires_on),
        pads_expire_on = coalesce(aed_record_check.pads_expire_on, a.pads_expire_on),
        last_self_test_at = CASE WHEN kind = 'self_test' THEN checked_at
                                 ELSE a.last_self_test_at END,
        last_inspected_at = CASE WHEN kind = 'inspection' THEN checked_at
                                 ELSE a.last_inspected_at END,
        updated_at = now()
    WHERE a.id = aed_id;
    IF verdict = 'fault' THEN
        PERFORM rc.aed_set_status(aed_id, 'fault',
            kind || ' found ' || array_to_string(found_problems, '; '), actor);
    ELSIF kind = 'inspection' THEN
        -- A person found the device in order: back in service, reports answered.
        PERFORM rc.aed_set_status(aed_id, 'ready', 'inspection passed', actor);
        UPDATE rc.aed_report r SET status = 'resolved', resolved_by = new_id
        WHERE r.aed_id = aed_record_check.aed_id AND r.status = 'open';
    END IF;
    RETURN QUERY SELECT new_id, verdict, found_problems, a.status FROM rc.aed a
                 WHERE a.id = aed_id;
END;
$$;
COMMENT ON FUNCTION rc.aed_record_check(integer, text, timestamptz, real, date, date, text[],
                                        text, text, integer, real, text) IS
    'Record a self-test or inspection of AED aed_id and apply the rules: error codes, battery '
    'below low_battery_pct, or battery or pads expired by the local date (time zone tz, NULL: '
    'rc.local_zone()) make it '
    'fault (one owner notification per change into fault); an inspection that finds nothing '
    'puts it back to ready and resolves its open public reports; a clean self-test changes no '
    'status (after a use or a fault, only a person re-checks)';

CREATE OR REPLACE FUNCTION rc.aed_record_use(
    aed_id integer, used_at timestamptz, incident_id integer, volunteer_id integer,
    outcome text, note text, lon double precision, lat double precision, actor text)
RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    use_id bigint;
BEGIN
    IF outcome IS NULL OR outcome NOT IN ('shock_delivered', 'no_shock_advised',
                                          'pads_not_attached', 'not_used') THEN
        RAISE EXCEPTION 'outcome %: must be shock_delivered, no_shock_advised, '
            'pads_not_attached or not_used', coalesce(outcome, 'NULL') USING ERRCODE = '22023';
    END IF;
    IF (lon IS NULL) <> (lat IS NULL) THEN
        RAISE EXCEPTION 'lon and lat: give both or neither' USING ERRCODE = '22023';
    END IF;
    PERFORM 1 FROM rc.aed a WHERE a.id = aed_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'aed_id %: no such AED', aed_id USING ERRCODE = '22023';
    END IF;
    INSERT INTO rc.aed_use (aed_id, incident_id, used_at, volunteer_id, outcome, note,
                            recorded_by, geom)
    VALUES (aed_id, incident_id, coalesce(used_at, now()), volunteer_id, outcome, note, actor,
            CASE WHEN lon IS NOT NULL THEN ST_SetSRID(ST_MakePoint(lon, lat), 4326) END)
    RETURNING id INTO use_id;
    IF outcome <> 'not_used' THEN
        PERFORM rc.aed_set_status(aed_id, 'out_of_service',
            format('used (record %s%s): pads and battery to re-check', use_id,
                   CASE WHEN incident_id IS NOT NULL THEN ', incident ' || incident_id
                        ELSE '' END), actor);
    END IF;
    RETURN use_id;
END;
$$;
COMMENT ON FUNCTION rc.aed_record_use(integer, timestamptz, integer, integer, text, text,
                                      double precision, double precision, text) IS
    'Record a use of AED aed_id (time, incident, volunteer, outcome, WGS84 place); a device that '
    'was used is out_of_service until an inspection passes';
