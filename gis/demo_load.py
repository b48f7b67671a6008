"""Load the synthetic demo city: generate it, import its OSM file, then its registry data.

Everything lands in one transaction (the network import runs the rest through its ``also``
hook), so a failure leaves the previous city whole. The network is marked synthetic, and is in
China's time zone and country: the demo city is modelled on Shenzhen.
"""

import json
import tempfile
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, text

from demo.city import CITY_NAME, generate_demo_city
from demo.extras import read_extras
from formats.place_locale import Locale
from gis.holidays import holidays_of, store_holidays
from gis.osm_import import ImportSummary, import_osm
from gis.population import load_population_raster

DEMO_TIMEZONE, DEMO_COUNTRY = "Asia/Shanghai", "CN"


def load_demo_city(engine: Engine, *, seed: int = 42, progress: bool = False) -> str:
    """Generate and load the demo city; returns a one-line summary."""
    with tempfile.TemporaryDirectory(prefix="rc-demo-") as tmp:
        files = generate_demo_city(Path(tmp), seed=seed)
        extras = read_extras(files.extras_json)
        counts: dict[str, float] = {}

        def load_extras(conn: Connection) -> None:
            counts.update(_load_extras(conn, asdict(extras)))
            counts["people"] = load_population_raster(
                conn, files.population_tif, source="demo:population.tif")
            year = datetime.now(ZoneInfo(DEMO_TIMEZONE)).year  # China's days off, for PH
            counts["public holidays"] = store_holidays(
                conn, DEMO_COUNTRY, holidays_of(DEMO_COUNTRY, [year, year + 1]))

        summary: ImportSummary = import_osm(
            engine, files.osm_pbf, progress=progress, synthetic=True,
            locale=Locale(DEMO_TIMEZONE, DEMO_COUNTRY), also=load_extras)
    loaded = ", ".join(f"{value:,.0f} {name}" for name, value in counts.items())
    return f"{CITY_NAME}, seed {seed}: {summary}; {loaded}"


def _load_extras(conn: Connection, extras: dict) -> dict[str, float]:
    def call(function: str, *args: object) -> int:
        return int(conn.execute(
            text(f"SELECT rc.{function}({', '.join(f':a{i}' for i in range(len(args)))})"),
            {f"a{i}": arg for i, arg in enumerate(args)}).scalar_one())

    return {
        "AED registry entries": call("_demo_aed_registry", json.dumps(extras["aed_registry"])),
        "ambulances": call("_demo_ambulances", json.dumps(extras["ambulances"])),
        "drone pads": call("_demo_points", "drone_pad", json.dumps(extras["drone_pads"])),
        "training sites": call("_demo_points", "training_site",
                               json.dumps(extras["training_sites"])),
        "districts": call("_demo_points", "district", json.dumps(extras["districts"])),
        "volunteers": call("_demo_points", "volunteer", json.dumps(extras["volunteers"])),
        "helipads and air bases": call("_demo_hospitals_and_air"),
    }
