"""Operations subcommands of ``rescuecircle``: ``db backup|restore FILE``, ``token revoke``,
``positions maintain``.

Both act on the configured database (RC_DATABASE_URL, else the project-local cluster) with the
PostgreSQL client tools in RC_PG_BIN_DIR; see :mod:`gis.backup` for what is saved and how a
restore stays all-or-nothing.
"""

import argparse
import sys
from pathlib import Path
from typing import Any

from rescuecircle.errors import InvalidInput
from rescuecircle.settings import Settings


def _backup(args: argparse.Namespace, settings: Settings) -> None:
    from gis.backup import backup
    from rescuecircle.database import database_url

    path = backup(database_url(settings), Path(args.file), pg_bin_dir=settings.pg_bin_dir)
    print(f"backup written to {path} ({path.stat().st_size} bytes)")


def _restore(args: argparse.Namespace, settings: Settings) -> None:
    from gis.backup import restore
    from rescuecircle.database import database_url

    restore(database_url(settings), Path(args.file), pg_bin_dir=settings.pg_bin_dir)
    where = "RC_DATABASE_URL" if settings.database_url else f"database {settings.db_name}"
    print(f"restored {args.file} into {where}")


def _token_revoke(args: argparse.Namespace, settings: Settings) -> None:
    """Revoke the token read from stdin: kept off the command line (ps, shell history), and a
    token may begin with ``-``, which argparse would take for an option."""
    from gis.db import make_engine
    from gis.tokens import revoke_token

    token = sys.stdin.readline().strip()
    if not token:
        raise InvalidInput("give the token to revoke on stdin")
    engine = make_engine(settings)
    try:
        revoked = revoke_token(engine, token)
    finally:
        engine.dispose()
    if not revoked:
        raise InvalidInput("no such unrevoked token")
    print("token revoked")


def _positions_maintain(args: argparse.Namespace, settings: Settings) -> None:
    """What the server does about hourly: day partitions made ahead, days past the retention
    dropped (for a cron job where no server runs)."""
    from services.context import opened
    from services.positions import maintain_positions

    with opened(settings) as context:
        done = maintain_positions(context)
    print(f"positions: {done.partitions_added} day partitions added, "
          f"{done.partitions_dropped} dropped (kept {settings.position_retention_days} days)")


def add_commands(commands: Any, db: Any, token: Any) -> None:
    """Add ``backup`` and ``restore`` to the CLI's ``db`` sub-parsers, ``revoke`` to
    ``token``, and ``positions maintain``."""
    backup = db.add_parser("backup", help="dump the rc schema to FILE (pg_dump -Fc)")
    backup.add_argument("file", help="the backup file to write")
    backup.set_defaults(handler=_backup)
    restore = db.add_parser(
        "restore", help="replace the rc schema with FILE, in one transaction (pg_restore)")
    restore.add_argument("file", help="a file written by `rescuecircle db backup`")
    restore.set_defaults(handler=_restore)
    token.add_parser("revoke", help="revoke the token given on stdin, from its next request "
                     "on").set_defaults(handler=_token_revoke)
    positions = commands.add_parser(
        "positions", help="volunteers' position history").add_subparsers(
        dest="action", required=True)
    positions.add_parser(
        "maintain", help="make the day partitions ahead and drop the days past "
        "RC_POSITION_RETENTION_DAYS").set_defaults(handler=_positions_maintain)
