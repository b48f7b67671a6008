"""Planning subcommands of ``rescuecircle``: coverage layers, district KPIs, QC reports.

``kpi [--districts FILE --name-field NAME] [--at ISO] [--hour H] [-o table.csv|kpi.gpkg]
[--gaps gaps.geojson]`` computes the table over ``rc.district`` (or the districts of FILE);
``coverage stations|aeds|drone-pads|circle|hospitals[:CAPABILITY] [--minutes ...]
[--raster F.tif] [--bands F.gpkg]``
writes a city-wide layer; ``site stations|aeds|drone-pads --add N|--cover-all|--relocate N
[--demand D]`` proposes sites (or AED moves) weighted by population, incidents or a mix;
``aed-venues [--uncovered] [-o F.geojson|.gpkg|.csv]`` lists the venues that must have an AED
and have none within a 1-minute walk; ``qc --calls FILE | --events [--from DATE --to DATE]
[-o report.html]`` writes the quality-control report of a call log or of the incidents stored
here.
"""

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from rescuecircle.errors import InvalidInput
from rescuecircle.settings import Settings

# Use cases are imported where used: the CLI starts without loading numpy and scipy.


def _kpi(args: argparse.Namespace, settings: Settings) -> None:
    if args.air:
        return _air_kpi(args, settings)
    from gis.export import geopackage_bytes
    from planning.kpi_io import gaps_geojson, kpi_layers, table_csv
    from services.context import opened
    from services.planning import kpis

    with opened(settings) as context:
        found = kpis(context, at=_at(args.at, context.now()), hour=args.hour,
                     districts_file=Path(args.districts) if args.districts else None,
                     name_field=args.name_field, kind=args.kind)
    table = found.table
    for note in found.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.output and args.output.lower().endswith(".gpkg"):
        Path(args.output).write_bytes(
            geopackage_bytes(kpi_layers(table, found.districts, found.network), "MultiPolygon"))
        print(f"wrote {args.output} (layers district_kpi, coverage_gaps)", file=sys.stderr)
    elif args.output:
        Path(args.output).write_text(table_csv(table), encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(table_csv(table))
    if args.gaps:
        Path(args.gaps).write_text(json.dumps(gaps_geojson(table, found.network)),
                                   encoding="utf-8")
        print(f"wrote {args.gaps}", file=sys.stderr)


def _air_kpi(args: argparse.Namespace, settings: Settings) -> None:
    """The air rescue indicators per district, as CSV."""
    from planning.air import air_csv
    from services.context import opened
    from services.planning import air_kpis

    with opened(settings) as context:
        found = air_csv(air_kpis(context, at=_at(args.at, context.now())))
    if args.output:
        Path(args.output).write_text(found, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(found)


def _coverage(args: argparse.Namespace, settings: Settings) -> None:
    from gis.export import format_for_path, layer_from_records, to_cog, write_layer
    from planning.layers import band_records
    from services.context import opened
    from services.planning import coverage

    with opened(settings) as context:
        found = coverage(context, args.layer, at=_at(args.at, context.now()), hour=args.hour,
                         minutes=args.minutes)
    layer, network = found.layer, found.network
    for band in layer.bands:
        people = "population unknown" if band.people is None else f"{band.people:,.0f} people"
        print(f"{layer.name} {band.minutes:g} min: {band.area_km2:.2f} km2, {people}"
              + (" (truncated)" if band.truncated else ""))
    for note in found.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.raster:
        Path(args.raster).write_bytes(
            to_cog(layer.grid.to_geotiff(network.projection.crs.to_wkt())))
        print(f"wrote {args.raster}", file=sys.stderr)
    if args.bands:
        wkb, records = band_records(network, layer)
        path = Path(args.bands)
        written = write_layer(layer_from_records(f"{layer.name}_coverage", "MultiPolygon",
                                                 list(wkb), records), format_for_path(path), path)
        print(f"wrote {written}", file=sys.stderr)


def _aed_venues(args: argparse.Namespace, settings: Settings) -> None:
    from gis.export import geopackage_bytes
    from planning.venues import venue_layers, venues_csv, venues_geojson
    from services.context import opened
    from services.planning import aed_venues

    with opened(settings) as context:
        checks = aed_venues(context, at=_at(args.at, context.now()))
    uncovered = [c for c in checks if not c.covered]
    print(f"{len(checks)} AED duty venues: {len(checks) - len(uncovered)} with a public, usable "
          f"AED within a 1-minute walk, {len(uncovered)} without")
    for check in uncovered:
        venue = check.venue
        print(f"  {venue.id}\t{venue.kind}\t{venue.name or '(unnamed)'}\t"
              f"{venue.lon:.6f},{venue.lat:.6f}")
    shown = uncovered if args.uncovered else checks
    if args.output:
        path = Path(args.output)
        if path.suffix.lower() == ".gpkg":
            path.write_bytes(geopackage_bytes(venue_layers(shown), "Point"))
        elif path.suffix.lower() == ".csv":
            path.write_text(venues_csv(shown), encoding="utf-8")
        else:
            path.write_text(json.dumps(venues_geojson(shown)), encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)


def _at(value: str | None, now: datetime) -> datetime:
    """``--at`` as an aware date-time (default now)."""
    from services import params

    return params.aware_time(value, "--at") or now


def _site(args: argparse.Namespace, settings: Settings) -> None:
    from planning.sites import sites_geojson
    from services import params
    from services.context import opened
    from services.planning import Incidents, SiteQuestion, site

    incidents = Incidents(
        file=Path(args.incidents) if args.incidents else None,
        first=params.day(args.incidents_from, "--incidents-from"),
        last=params.day(args.incidents_to, "--incidents-to"),
        categories=tuple(c.strip() for c in args.categories.split(",") if c.strip())
        if args.categories else None)
    with opened(settings) as context:
        plan = site(context, SiteQuestion(
            args.kind, add=None if args.cover_all else args.add, relocate=args.relocate,
            at=_at(args.at, context.now()), hour=args.hour, minutes=args.minutes,
            candidates_file=Path(args.candidates) if args.candidates else None,
            cruise_kmh=args.cruise_kmh, range_km=args.range_km, demand=args.demand,
            incidents=incidents))
    before, after = plan.before, plan.after
    what = (f"{len(plan.moves)} {plan.kind} moved" if plan.model == "relocate"
            else f"{len(plan.sites)} new {plan.kind}")
    rural = (f" ({plan.rural_limit_minutes:g} in rural districts)"
             if plan.rural_limit_minutes is not None else "")
    print(f"{plan.model} by {plan.demand}: {what} within {plan.limit_minutes:g} min{rural}; "
          f"people covered {before.people:,.0f} -> {after.people:,.0f} of "
          f"{plan.total.people:,.0f}, calls {before.calls:,.0f} -> {after.calls:,.0f} of "
          f"{plan.total.calls:,.0f} ({plan.uncoverable.people:,.0f} people beyond every "
          "candidate)")
    for move in plan.moves:
        print(f"AED {move.facility_id}: {move.from_lonlat[0]:.6f},{move.from_lonlat[1]:.6f} -> "
              f"{move.to_lonlat[0]:.6f},{move.to_lonlat[1]:.6f} ({move.distance_m:,.0f} m)")
    text = json.dumps(sites_geojson(plan))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        print(text)


def _qc(args: argparse.Namespace, settings: Settings) -> None:
    from planning.qc_report import html_report
    from services.context import opened
    from services.quality import Period, call_quality, events_quality

    if args.calls:
        if args.first or args.last:
            raise InvalidInput("--from and --to select stored incidents: use them with --events")
        result, source = call_quality(Path(args.calls)), Path(args.calls).name
    else:
        period = Period.parse(args.first, args.last)
        with opened(settings) as context:
            result = events_quality(context, period)
        source = f"stored incidents, {period.describe()}"
    Path(args.output).write_text(html_report(result, source=source), encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)


def add_commands(commands: Any) -> None:
    """Register ``kpi``, ``coverage``, ``site``, ``aed-venues`` and ``qc`` on the top-level
    subparsers."""
    kpi = commands.add_parser("kpi", help="district KPI table against the standards (CSV)")
    kpi.add_argument("--districts", default=None,
                     help="a vector file of districts (WGS84); default: rc.district")
    kpi.add_argument("--name-field", default="name", help="the districts' name field")
    kpi.add_argument("--kind", choices=["urban", "rural"], default="urban",
                     help="kind of the file's districts unless it has a 'kind' field")
    kpi.add_argument("--at", default=None, help="AED availability at (ISO 8601, default now)")
    kpi.add_argument("--hour", type=int, default=None, choices=range(24),
                     help="hour of day for driving speeds (default free flow)")
    kpi.add_argument("-o", "--output", default=None,
                     help="CSV file, or a .gpkg with districts and gaps as layers "
                     "(default: CSV on stdout)")
    kpi.add_argument("--gaps", default=None, help="GeoJSON file for the uncovered areas")
    kpi.add_argument("--air", action="store_true",
                     help="the air rescue indicators instead: landing sites, helicopter reach "
                          "in 20 and 30 minutes, tertiary hospitals with a helipad, air bases")
    kpi.set_defaults(handler=_kpi)

    coverage = commands.add_parser(
        "coverage", help="a city-wide coverage layer: bands with population, travel-time COG")
    coverage.add_argument("layer", help="stations, aeds, drone-pads, circle, or a hospital "
                          "catchment: hospitals (any emergency department) or "
                          "hospitals:CAPABILITY (chest_pain, stroke, ...)")
    coverage.add_argument("--minutes", type=float, nargs="+", default=None,
                          help="band limits (default: 5 8 12 for stations, 30 60 for "
                               "catchments, 5 otherwise)")
    coverage.add_argument("--hour", type=int, default=None, choices=range(24),
                          help="hour of day for driving speeds (default free flow)")
    coverage.add_argument("--at", default=None, help="AED availability at (ISO 8601)")
    coverage.add_argument("--raster", default=None, help="travel-time surface (COG, seconds)")
    coverage.add_argument("--bands", default=None, help="bands (.gpkg, .geojson, .shp, .csv)")
    coverage.set_defaults(handler=_coverage)

    site = commands.add_parser(
        "site", help="where to add stations, AEDs or drone pads (MCLP with --add N, LSCP with "
        "--cover-all), or where to move AEDs (--relocate N)")
    site.add_argument("kind", choices=["stations", "aeds", "drone-pads"])
    how = site.add_mutually_exclusive_group(required=True)
    how.add_argument("--add", type=int, help="new sites to open, maximising people covered")
    how.add_argument("--cover-all", action="store_true",
                     help="the fewest new sites covering everyone coverable")
    how.add_argument("--relocate", type=int,
                     help="aeds: move at most N existing AEDs to where they cover the most")
    site.add_argument("--demand", default="population",
                      help="what to cover: population, incidents (calls) or mix:A (A the "
                      "calls' share, 0-1); default population")
    site.add_argument("--incidents", default=None,
                      help="incident points (CSV lon/lat, GeoJSON, GeoPackage, ...; a 'calls' "
                      "field counts several) instead of the stored incidents")
    site.add_argument("--incidents-from", default=None, metavar="DATE",
                      help="stored incidents received from this local date (YYYY-MM-DD)")
    site.add_argument("--incidents-to", default=None, metavar="DATE",
                      help="stored incidents received up to this local date, included")
    site.add_argument("--categories", default=None,
                      help="incident categories to count, comma-separated (default: all)")
    site.add_argument("--minutes", type=float, default=None,
                      help="coverage limit (default: 8 drive for stations, 12 in rural districts; "
                           "5 walk for AEDs)")
    site.add_argument("--candidates", default=None,
                      help="CSV with lon,lat columns (default: a road vertex per km2)")
    site.add_argument("--cruise-kmh", type=float, default=None,
                      help="drone pads: the new drones' cruise speed (default: the existing "
                      "pads' most common drone, else 60)")
    site.add_argument("--range-km", type=float, default=None,
                      help="drone pads: the new drones' range (default as --cruise-kmh, else 8)")
    site.add_argument("--hour", type=int, default=None, choices=range(24))
    site.add_argument("--at", default=None, help="AED availability at (ISO 8601)")
    site.add_argument("-o", "--output", default=None, help="GeoJSON of the chosen sites")
    site.set_defaults(handler=_site)

    venues = commands.add_parser(
        "aed-venues", help="venues that must have an AED, and those without a public, usable "
        "one within a 1-minute walk (listed)")
    venues.add_argument("--at", default=None,
                        help="the day AEDs must be usable (ISO 8601, default now)")
    venues.add_argument("--uncovered", action="store_true",
                        help="write only the venues without one")
    venues.add_argument("-o", "--output", default=None,
                        help="the venues as a map layer: .geojson, .gpkg or .csv")
    venues.set_defaults(handler=_aed_venues)

    qc = commands.add_parser(
        "qc", help="quality-control report (HTML) of a call log or of the stored incidents")
    source = qc.add_mutually_exclusive_group(required=True)
    source.add_argument("--calls", help="the call log (CSV)")
    source.add_argument("--events", action="store_true",
                        help="the incidents stored here, from their events")
    qc.add_argument("--from", dest="first", default=None, metavar="DATE",
                    help="--events: calls received from this local date (YYYY-MM-DD)")
    qc.add_argument("--to", dest="last", default=None, metavar="DATE",
                    help="--events: calls received up to this local date, included")
    qc.add_argument("-o", "--output", default="qc_report.html", help="the HTML report")
    qc.set_defaults(handler=_qc)
