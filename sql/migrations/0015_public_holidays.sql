-- Public holidays: an AED whose opening_hours say "PH off" (an office closed on holidays) must
-- not be offered on a holiday. rc.public_holiday holds the days (loaded from the `holidays`
-- package for the deployment's country); weekday 8 in rc.aed_opening holds an AED's holiday
-- hours, which apply on those days when rc.aed.hours_holiday says it has holiday rules.

CREATE TABLE rc.public_holiday (
    day     date PRIMARY KEY,
    name    text NOT NULL,
    source  text NOT NULL          -- e.g. 'holidays:CN'
);
COMMENT ON TABLE rc.public_holiday IS
    'Public holidays (days off) of the deployment''s country, for PH rules in opening_hours';

ALTER TABLE rc.aed ADD COLUMN hours_holiday boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN rc.aed.hours_holiday IS
    'The opening hours have public-holiday (PH) rules: rc.aed_opening weekday 8 applies on '
    'the days of rc.public_holiday';

ALTER TABLE rc.aed_opening DROP CONSTRAINT aed_opening_weekday_check;
ALTER TABLE rc.aed_opening ADD CONSTRAINT aed_opening_weekday_check
    CHECK (weekday BETWEEN 1 AND 8);   -- 8: public holidays

DROP FUNCTION IF EXISTS rc._aed_open(integer, timestamp);

-- Hours that mention holidays were parsed without them: parse them again (migrate does).
UPDATE rc.aed SET hours_state = 'pending'
WHERE opening_hours ~* '(^|[^a-z])(PH|feiertags?|feiertage)([^a-z]|$)';
