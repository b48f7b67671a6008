-- Population becomes a vector tile layer (planners see where people live): its tiles carry
-- the version of rc.population in their ETags like the other layers (migration 0008).

INSERT INTO rc.tile_source_version (source_table, version)
VALUES ('population', (extract(epoch FROM clock_timestamp()) * 1e6)::bigint);
CREATE TRIGGER population_tile_version
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON rc.population
    FOR EACH STATEMENT EXECUTE FUNCTION rc._tile_source_changed();
