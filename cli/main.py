"""The ``rescuecircle`` command: database, imports, tokens and the server.

Every subcommand reads the settings once, here, and passes them down. Errors this project raises
on purpose end the command with one line on stderr and exit status 2; anything else is a bug and
keeps its traceback.
"""

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

from cli import dispatch, ha, ops, planning, registry, simulate
from formats.osm_tags import DEFAULT_STATION_KINDS
from rescuecircle.errors import InvalidInput, RescueCircleError
from rescuecircle.settings import Settings
from routing.arrays import MODES

Handler = Callable[[argparse.Namespace, Settings], None]
WSGI_APP = "api.wsgi:app"
SERVED = (
    ("/", "landing page"),
    ("/health", "database and network status"),
    ("/ogc", "OGC API - Features"),
    ("/ogc/collections/aeds/items", "AEDs as GeoJSON"),
    ("/ogc/processes", "OGC API - Processes: isochrone, route, matrix, dispatch, coverage"),
    ("/routes", "OGC API - Routes (POST)"),
    ("/ors/v2", "openrouteservice-compatible isochrones, matrix, directions"),
)


def _db_init(args: argparse.Namespace, settings: Settings) -> None:
    from localdb import cluster

    if settings.database_url:
        print("RC_DATABASE_URL is set: using that database, no local cluster to create")
        return
    paths = cluster.init(settings)
    print(f"cluster ready in {paths.pgdata} on 127.0.0.1:{settings.pg_port}")


def _db_start(args: argparse.Namespace, settings: Settings) -> None:
    from localdb import cluster

    cluster.start(settings)
    print(f"PostgreSQL running on 127.0.0.1:{settings.pg_port}")


def _db_stop(args: argparse.Namespace, settings: Settings) -> None:
    from localdb import cluster

    cluster.stop(settings)
    print("PostgreSQL stopped")


def _db_status(args: argparse.Namespace, settings: Settings) -> None:
    from gis.status import database_status
    from services.context import opened

    with opened(settings) as context:
        status = database_status(context.engine)
    for key, value in status.items():
        print(f"{key}: {value}")
    if not status["database"] == "ok":
        raise SystemExit(1)


def _db_migrate(args: argparse.Namespace, settings: Settings) -> None:
    from gis.migrate import migrate, schema_version
    from services.context import opened

    with opened(settings) as context:
        applied = migrate(context.engine)
        version = schema_version(context.engine)
    names = ", ".join(f"{m.version:04d}_{m.name}" for m in applied) or "nothing new"
    print(f"schema version {version} (applied: {names})")


def _import_osm(args: argparse.Namespace, settings: Settings) -> None:
    from services import imports
    from services.context import opened

    with opened(settings) as context:
        print(imports.road_network(context, Path(args.file), progress=not args.quiet,
                                   stations_from=args.stations_from))


def _demo_load(args: argparse.Namespace, settings: Settings) -> None:
    from services import imports
    from services.context import opened

    with opened(settings) as context:
        print(imports.demo_city(context, seed=args.seed, progress=not args.quiet))


def _token_create(args: argparse.Namespace, settings: Settings) -> None:
    from gis.tokens import create_token, organisation_named
    from services.context import opened

    if (args.role == "volunteer") != (args.volunteer is not None):
        raise InvalidInput("--volunteer ID goes with --role volunteer, and only with it: a "
                           "volunteer token speaks for one volunteer")
    if (args.role == "owner") != (args.organisation is not None):
        raise InvalidInput("--organisation NAME goes with --role owner, and only with it: an "
                           "owner token speaks for one organisation")
    with opened(settings) as context:
        organisation = (organisation_named(context.engine, args.organisation)
                        if args.organisation else None)
        print(create_token(context.engine, role=args.role, label=args.label,
                           volunteer_id=args.volunteer, organisation_id=organisation))


def _export(args: argparse.Namespace, settings: Settings) -> None:
    from services import params
    from services.context import opened
    from services.exports import export_to_path
    from services.quality import Period

    point = None if args.point is None else params.point(args.point.split(","), "--point")
    period = Period.parse(args.first, args.last)
    with opened(settings) as context:
        path = export_to_path(context, args.layer, Path(args.output), format_name=args.format,
                              minutes=args.minutes, mode=args.mode, point=point, period=period)
    print(f"wrote {path}")


def _status(args: argparse.Namespace, settings: Settings) -> None:
    """The readiness report, as text for people or as JSON (``--json``)."""
    import json

    from services.context import opened
    from services.status import readiness

    with opened(settings) as context:
        report = readiness(context)
    print(json.dumps(report, indent=2, default=str) if args.json else status_text(report))


def status_text(report: dict[str, Any]) -> str:
    """The readiness report in lines for a person."""
    def counts(values: dict[str, int] | None) -> str:
        return ", ".join(f"{k} {v:,}" for k, v in sorted((values or {}).items())) or "none"

    network = report["network"]
    zone = report["timezone"]
    imported = "" if network is None else str(network["imported_at"])[:16].replace("T", " ")
    lines = [
        "network: none loaded" if network is None else
        f"network: {network['source']}, imported {imported} UTC, "
        f"extent {', '.join(f'{v:.4f}' for v in network['extent'] or [])}",
        f"time zone: {zone['zone']} (from {zone['from']}), country {report['country'] or '?'}",
        f"edges: {counts(report['edges'])}; on islands: {counts(report['island_edges'])}",
        f"aeds: {counts(report['aeds'])}", f"stations: {report['stations']:,}",
        f"ambulances: {counts(report['ambulances'])}", f"hospitals: {report['hospitals']:,}",
        f"drone pads: {report['drone_pads']:,}",
        f"volunteers: {report['volunteers']:,} ({report['volunteers_with_fresh_positions']:,} "
        "with a position of the last 15 minutes)",
        f"districts: {counts(report['districts'])}",
        "population: " + ("none loaded" if report["population"] is None
                          else f"{round(report['population']):,}"),
    ]
    for name, feature in report["features"].items():
        lines.append(f"{name}: {'ready' if feature['ready'] else 'NOT READY'}")
        lines += [f"  {'needs' if lack['blocking'] else 'lacks'} {lack['what']}: "
                  f"{lack['command']}" for lack in feature["lacks"]]
    return "\n".join(lines)


def _serve(args: argparse.Namespace, settings: Settings) -> None:
    """Replace this process by waitress serving the WSGI entry point (``WSGI_APP``), the
    same app gunicorn serves in docker-compose.yml; it reads the same RC_* settings."""
    base = settings.base_url
    print(f"rescuecircle serving on {base}/ with {args.threads} threads")
    for path, what in SERVED:
        print(f"  {base}{path:<30} {what}")
    sys.stdout.flush()
    os.execv(sys.executable, [
        sys.executable, "-m", "waitress", f"--host={settings.host}", f"--port={settings.port}",
        f"--threads={args.threads}", "--ident=rescuecircle", WSGI_APP])


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; each leaf carries its handler as ``args.handler``."""
    parser = argparse.ArgumentParser(prog="rescuecircle", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="the PostgreSQL database").add_subparsers(
        dest="action", required=True)
    for name, handler, help_text in (
        ("init", _db_init, "create the project-local cluster, role and database"),
        ("start", _db_start, "start the project-local cluster"),
        ("stop", _db_stop, "stop the project-local cluster"),
        ("status", _db_status, "reachability, versions, schema version, network size"),
        ("migrate", _db_migrate, "apply new migrations and refresh SQL functions"),
    ):
        db.add_parser(name, help=help_text).set_defaults(handler=handler)

    imports = commands.add_parser("import", help="load data").add_subparsers(
        dest="kind", required=True)
    osm = imports.add_parser("osm", help="replace the road network (and OSM POIs) from a file")
    osm.add_argument("file", help="an .osm.pbf, .osm or .osm.bz2 extract")
    osm.add_argument("--quiet", action="store_true", help="no progress bar")
    osm.add_argument("--stations-from", default=DEFAULT_STATION_KINDS, metavar="KINDS",
                     type=lambda value: tuple(value.split(",")),
                     help="OSM objects loaded as stations, comma-separated: ambulance "
                     "(emergency=ambulance_station), fire (amenity=fire_station, as co-located "
                     "ambulance posts); default ambulance, e.g. ambulance,fire")
    osm.set_defaults(handler=_import_osm)
    registry.add_commands(commands, imports)
    planning.add_commands(commands)
    dispatch.add_command(commands)
    simulate.add_command(commands)
    ha.add_command(commands)

    demo = commands.add_parser("demo", help="the synthetic demo city").add_subparsers(
        dest="action", required=True)
    demo_load = demo.add_parser("load", help="generate the demo city and load it")
    demo_load.add_argument("--seed", type=int, default=42)
    demo_load.add_argument("--quiet", action="store_true", help="no progress bar")
    demo_load.set_defaults(handler=_demo_load)

    token = commands.add_parser("token", help="API tokens").add_subparsers(
        dest="action", required=True)
    token_create = token.add_parser("create", help="print a new token (stored hashed)")
    token_create.add_argument(
        "--role", required=True,
        choices=["public", "volunteer", "owner", "gateway", "dispatcher", "analyst", "admin"])
    token_create.add_argument("--label", default=None, help="who or what the token is for")
    token_create.add_argument("--volunteer", type=int, default=None, metavar="ID",
                              help="the volunteer a volunteer token speaks for")
    token_create.add_argument("--organisation", default=None, metavar="NAME",
                              help="the organisation an owner token speaks for (registered "
                                   "if new)")
    token_create.set_defaults(handler=_token_create)
    ops.add_commands(commands, db, token)

    export = commands.add_parser(
        "export", help="write a public layer, station coverage, a travel-time surface or the "
        "stored incidents' call log to a file")
    export.add_argument("layer", help="aeds, stations, hospitals, drone_pads, training_sites, "
                        "districts, road_edges, station_coverage, travel_time or incidents "
                        "(the call log of stored incidents, CSV, for `rescuecircle qc --calls`)")
    export.add_argument("-o", "--output", required=True,
                        help="the file; its ending picks the format unless --format is given")
    export.add_argument("--format", choices=["gpkg", "geojson", "shp", "csv"], default=None,
                        help="vector format (travel_time is always a Cloud-Optimized GeoTIFF)")
    export.add_argument("--minutes", type=float, default=None,
                        help="station_coverage: default 8; travel_time: the limit, default 12")
    export.add_argument("--mode", choices=MODES, default="drive")
    export.add_argument("--point", default=None, help="travel_time: LON,LAT of the origin")
    export.add_argument("--from", dest="first", default=None, metavar="DATE",
                        help="incidents: calls received from this local date (YYYY-MM-DD)")
    export.add_argument("--to", dest="last", default=None, metavar="DATE",
                        help="incidents: calls received up to this local date, included")
    export.set_defaults(handler=_export)

    status = commands.add_parser(
        "status", help="readiness of the loaded city: network, registries, planning inputs, "
        "and what each feature lacks")
    status.add_argument("--json", action="store_true", help="the report as JSON")
    status.set_defaults(handler=_status)

    serve = commands.add_parser("serve", help="serve the HTTP API (waitress)")
    serve.add_argument("--threads", type=int, default=8)
    serve.set_defaults(handler=_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    settings = Settings()
    handler: Handler = args.handler
    try:
        handler(args, settings)
    except RescueCircleError as exc:
        print(f"rescuecircle: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except OperationalError as exc:  # the database is missing or down: say what to do
        from gis.db import unreachable

        print(f"rescuecircle: {unreachable(exc, settings)}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
