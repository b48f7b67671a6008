"""The synthetic demo city: a deterministic generator of streets, people and facilities (no
database; ``gis.demo_load`` stores what it makes)."""
