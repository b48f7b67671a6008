-- The ambulance fleet: status changes with their history, live positions (AVL).

CREATE OR REPLACE FUNCTION rc._ambulance_status_logged()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status THEN
        RETURN NULL;
    END IF;
    INSERT INTO rc.ambulance_status_history (ambulance_id, old_status, new_status, reason,
                                             changed_by)
    VALUES (NEW.id, CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, NEW.status,
            nullif(current_setting('rc.reason', true), ''),
            coalesce(nullif(current_setting('rc.actor', true), ''), session_user));
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION rc._ambulance_status_logged() IS
    'Trigger: record every ambulance status, at insert and at each change, in rc.ambulance_status_history';
CREATE OR REPLACE TRIGGER ambulance_status_logged
    AFTER INSERT OR UPDATE OF status ON rc.ambulance
    FOR EACH ROW EXECUTE FUNCTION rc._ambulance_status_logged();
