-- Versions of the tables vector tiles are made from (sql/functions/tiles.sql), for tile ETags
-- and the tile cache (gis/tiles.py). A statement trigger bumps a table's version in the writing
-- transaction, so the new version becomes visible at the same commit as the data. (A sequence
-- would not do: nextval is seen before the commit, and a reader could cache the old data under
-- the new version for good.) Concurrent writers to one table queue on its version row until
-- they commit; a statement that changes no row still bumps it (a needless cache miss).

CREATE TABLE rc.tile_source_version (
    source_table  text PRIMARY KEY,
    version       bigint      NOT NULL,
    changed_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE rc.tile_source_version IS
    'Version of each table vector tiles are made from, bumped on every write; part of tile ETags';

CREATE FUNCTION rc._tile_source_changed()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Microseconds since 1970 at least, so versions stay unique across a rebuilt database.
    UPDATE rc.tile_source_version
    SET version = greatest(version + 1, (extract(epoch FROM clock_timestamp()) * 1e6)::bigint),
        changed_at = now()
    WHERE source_table = TG_TABLE_NAME;
    RETURN NULL;
END;
$$;

DO $$
DECLARE
    source text;
BEGIN
    FOREACH source IN ARRAY ARRAY['aed', 'station', 'hospital', 'drone_pad', 'training_site',
                                  'district', 'road_edge'] LOOP
        INSERT INTO rc.tile_source_version (source_table, version)
        VALUES (source, (extract(epoch FROM clock_timestamp()) * 1e6)::bigint);
        EXECUTE format(
            'CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON rc.%I '
            'FOR EACH STATEMENT EXECUTE FUNCTION rc._tile_source_changed()',
            source || '_tile_version', source);
    END LOOP;
END;
$$;
