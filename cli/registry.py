"""Registry subcommands of ``rescuecircle``: imports, AED upkeep, notifications, volunteers.

``import aeds|stations|hospitals|drone-pads|helipads|training-sites|volunteers|ambulances FILE...``
loads each file in its own transaction and prints its report (rejected records with reasons);
a file that cannot be read is reported and the others still load, the exit status is then 2.
"""

import argparse
import sys
from pathlib import Path
from typing import Any

from rescuecircle.errors import InvalidInput, RescueCircleError
from rescuecircle.settings import Settings


def _import(args: argparse.Namespace, settings: Settings) -> None:
    from services import imports
    from services.context import opened

    failed = 0
    with opened(settings) as context:
        for name in args.files:
            try:
                print(imports.registry_file(context, Path(name), args.kind, crs=args.crs,
                                            source=args.source, strict=args.strict))
            except RescueCircleError as exc:
                message = str(exc) if name in str(exc) else f"{name}: {exc}"
                print(f"rescuecircle: {message}", file=sys.stderr)
                failed += 1
    if failed:
        raise InvalidInput(f"{failed} of {len(args.files)} files not loaded")


def _import_districts(args: argparse.Namespace, settings: Settings) -> None:
    from formats.areas import FieldNames
    from services.areas import import_districts
    from services.context import opened

    fields = FieldNames(args.name_field, args.code_field, args.kind_field,
                        args.population_field)
    with opened(settings) as context:
        print(import_districts(context, Path(args.file), fields, strict=args.strict,
                               table=Path(args.table) if args.table else None, key=args.key))


def _import_population(args: argparse.Namespace, settings: Settings) -> None:
    from services.areas import import_population
    from services.context import opened

    with opened(settings) as context:
        print(import_population(context, Path(args.file), count_field=args.count,
                                table=Path(args.table) if args.table else None, key=args.key,
                                strict=args.strict))


def _aed_sync_hours(args: argparse.Namespace, settings: Settings) -> None:
    from gis.aed_registry import sync_opening_hours
    from services.context import opened

    with opened(settings) as context, context.engine.begin() as conn:
        print(f"{sync_opening_hours(conn)} AEDs' opening hours parsed")


def _holidays_load(args: argparse.Namespace, settings: Settings) -> None:
    from services import imports
    from services.context import opened

    with opened(settings) as context:
        print(imports.public_holidays(context, country=args.country, years=args.years))


def _aed_expiring(args: argparse.Namespace, settings: Settings) -> None:
    from gis.aed_registry import expiring
    from services.context import opened

    days = settings.aed_expiry_alert_days if args.days is None else args.days
    with opened(settings) as context:
        rows = expiring(context.engine, days, context.local_now().date())
    for row in rows:
        print(f"AED {row['aed_id']} {row['name'] or ''} ({row['owner'] or 'no owner'}): "
              f"{row['part']} expires {row['expires_on']} ({row['days_left']} days)")


def _notify_deliver(args: argparse.Namespace, settings: Settings) -> None:
    from gis.notify import Adapter, LogAdapter, WebhookAdapter, deliver_pending
    from services.context import opened

    adapter: Adapter = (WebhookAdapter(settings.notify_webhook_url)
                        if settings.notify_webhook_url else LogAdapter())
    with opened(settings) as context:
        report = deliver_pending(context.engine, adapter,
                                 max_attempts=settings.notify_max_attempts,
                                 backoff_s=settings.notify_backoff_s)
    print(f"{report.delivered} delivered, {report.retrying} to retry, {report.failed} failed")


def _volunteer_promote(args: argparse.Namespace, settings: Settings) -> None:
    from gis.volunteers import PromotionRules, promote, promotions_due
    from services.context import opened

    rules = PromotionRules(settings.promote_junior_rescues, settings.promote_junior_service_h,
                           settings.promote_senior_rescues, settings.promote_senior_service_h)
    with opened(settings) as context:
        if args.apply:
            due = promote(context.engine, rules)
        else:
            with context.engine.connect() as conn:
                due = promotions_due(conn, rules)
    for row in due:
        print(f"volunteer {row['volunteer_id']}: {row['from_level']} -> {row['to_level']} "
              f"({row['rescues']} rescues, {row['service_h']:.1f} h)")
    print(f"{len(due)} promotions {'applied' if args.apply else 'due (use --apply)'}")


def add_commands(commands: Any, imports: Any) -> None:
    """Add the registry subcommands to the CLI's ``commands`` and ``import`` sub-parsers."""
    from formats.fields import KINDS

    for kind in KINDS:
        parser = imports.add_parser(kind, help=f"load {kind.replace('-', ' ')} from CSV, "
                                    "GeoJSON, OSM or Tencent JSON files")
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--crs", choices=("wgs84", "gcj02", "bd09"), default="wgs84",
                            help="coordinate system of the file (default wgs84)")
        parser.add_argument("--source", default=None,
                            help="what to record as the rows' source (default import:FILE)")
        parser.add_argument("--strict", action="store_true",
                            help="load nothing from a file with any rejected record")
        parser.set_defaults(handler=_import, kind=kind)

    districts = imports.add_parser(
        "districts", help="replace the districts of FILE (GeoJSON, GeoPackage, Shapefile; any "
        "CRS): the units KPIs are reported for")
    districts.add_argument("file")
    districts.add_argument("--name-field", default="name", help="default: name")
    districts.add_argument("--code-field", default=None)
    districts.add_argument("--kind-field", default=None,
                           help="urban or rural; without it the kind is derived from the "
                           "population density (Degree of Urbanisation)")
    districts.add_argument("--population-field", default=None)
    population = imports.add_parser(
        "population", help="replace the population of FILE: a GeoTIFF of people per cell (any "
        "CRS), or polygons or points (CSV lon/lat) with a count field")
    population.add_argument("file")
    population.add_argument("--count", default=None, help="the field counting the people")
    for parser in (districts, population):
        parser.add_argument("--table", default=None,
                            help="a CSV of attributes the file's features lack")
        parser.add_argument("--key", default=None,
                            help="FIELD or FIELD=COLUMN joining --table to the features")
        parser.add_argument("--strict", action="store_true",
                            help="load nothing from a file with any rejected feature")
    districts.set_defaults(handler=_import_districts)
    population.set_defaults(handler=_import_population)

    aed = commands.add_parser("aed", help="AED registry upkeep").add_subparsers(
        dest="action", required=True)
    aed.add_parser("sync-hours", help="parse opening hours written by plain SQL").set_defaults(
        handler=_aed_sync_hours)
    expiring = aed.add_parser("expiring", help="batteries and pads expiring soon")
    expiring.add_argument("--days", type=int, default=None,
                          help="look-ahead in days (default RC_AED_EXPIRY_ALERT_DAYS)")
    expiring.set_defaults(handler=_aed_expiring)

    holidays = commands.add_parser(
        "holidays", help="public holidays, for 'PH' in AED opening hours").add_subparsers(
        dest="action", required=True)
    load = holidays.add_parser("load", help="load a country's public holidays")
    load.add_argument("--country", default=None, help="ISO 3166 code: CN, US, DE, ... "
                      "(default: the loaded network's country)")
    load.add_argument("--years", type=int, nargs="+", default=None,
                      help="years to load (default: this year and the next)")
    load.set_defaults(handler=_holidays_load)

    notify = commands.add_parser("notify", help="owner notifications").add_subparsers(
        dest="action", required=True)
    notify.add_parser("deliver", help="send due notifications (RC_NOTIFY_WEBHOOK_URL, or the "
                      "log)").set_defaults(handler=_notify_deliver)

    volunteer = commands.add_parser("volunteer", help="volunteer registry").add_subparsers(
        dest="action", required=True)
    promote = volunteer.add_parser("promote", help="promotions earned by service")
    promote.add_argument("--apply", action="store_true", help="apply them (default: list)")
    promote.set_defaults(handler=_volunteer_promote)
