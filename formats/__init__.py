"""What outside data means, read without a database: OSM tag rules, opening hours, China's
coordinate systems, registry files and their fields. Pure functions; ``gis/`` stores the results."""
