"""Data model, database access and loaders (OSM, demo city, facilities)."""
