-- Travel times and isochrones *to* a point as well as from it (issue #17): rc._edges_sql,
-- rc.travel_times and rc.isochrone gain a direction parameter. Their old signatures go here;
-- sql/functions/routing.sql creates the new ones (a default on a new parameter would otherwise
-- make every call ambiguous between the two).
DROP FUNCTION IF EXISTS rc._edges_sql(text, geometry);
DROP FUNCTION IF EXISTS rc.travel_times(double precision, double precision, text, double precision);
DROP FUNCTION IF EXISTS rc.isochrone(double precision, double precision, text, integer[]);
