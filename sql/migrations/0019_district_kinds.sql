-- Districts from a city's own files: an optional population, and where the urban/rural kind
-- came from ('given' by the file, 'density' derived from the population, 'default' urban for
-- want of either), so a planner can see which standard (8 or 12 minutes) applies and why.

ALTER TABLE rc.district
    ADD COLUMN population  double precision CHECK (population >= 0),
    ADD COLUMN kind_basis  text NOT NULL DEFAULT 'given'
                           CHECK (kind_basis IN ('given', 'density', 'default'));
COMMENT ON COLUMN rc.district.kind_basis IS
    'given: from the districts file; density: Degree of Urbanisation on the loaded population; default: urban, nothing to derive it from';
