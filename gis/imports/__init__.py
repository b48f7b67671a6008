"""Registry imports: AEDs, stations, hospitals, drone pads, training sites and volunteers from
CSV, GeoJSON, OSM and Tencent place JSON, in any of WGS84, GCJ-02 and BD-09
(``rescuecircle import KIND FILE... --crs``). Entry point: :func:`gis.imports.load.import_file`.
"""
