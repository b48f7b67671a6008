"""Scratch databases for the benchmarks: one OSM network imported once, reused while unchanged.

A benchmark asks ``network_database(settings, "rc_bench_<what>_<network>", pbf)`` and gets an
engine on a database of the local cluster holding that network. The import is reused while
``public.bench_stamp`` holds the import's stamp (the .pbf's resolved path, size in bytes and
mtime in ns, and a digest of the tag rules and the importer as imported: a network imported by
other rules, say before an access rule changed, is stale); otherwise the database is dropped
and created again, migrated, the .pbf imported and the stamp written last, so an interrupted
import is redone on the next run. ``migrate`` also runs on a reused database, so the ``rc.*``
SQL functions and new migrations follow the checkout; if it fails there (say, a migration
renumbered since the import) the database is built afresh.
"""

from __future__ import annotations

import hashlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError, OperationalError, ProgrammingError

from formats import osm_tags
from gis import osm_import
from gis.db import make_engine
from gis.migrate import MigrationError, migrate
from gis.osm_import import ImportSummary, import_osm
from localdb import cluster
from rescuecircle import database
from rescuecircle.settings import Settings


@dataclass(frozen=True)
class ScratchDatabase:
    """A scratch database with a network in it, and how it was obtained.

    ``how`` is ``"cached in <db>"`` or ``"imported into <db> in <N> s"`` (the import alone,
    without creating and migrating the database); ``summary`` is the import's report, ``None``
    when the database was reused.
    """

    engine: Engine
    url: str
    how: str
    summary: ImportSummary | None


def pbf_stamp(pbf: Path) -> str:
    """What identifies an import: ``resolved path|size|mtime_ns|rules digest``."""
    stat = pbf.stat()
    return f"{pbf.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{rules_digest()}"


def rules_digest() -> str:
    """SHA-256 (12 hex digits) of the tag rules and the importer, as this process imports them."""
    digest = hashlib.sha256()
    for module in (osm_tags, osm_import):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()[:12]


def network_database(settings: Settings, db_name: str, pbf: Path, *, reimport: bool = False,
                     synthetic: bool = False) -> ScratchDatabase:
    """Database ``db_name`` with ``pbf`` imported, reused while the stamp matches.

    ``reimport`` builds it afresh even when the stamp matches; ``synthetic`` is passed to
    ``import_osm`` (for the generated cities of ``demo``). Any other database of the
    same name is dropped: use only names of scratch databases.
    """
    stamp = pbf_stamp(pbf)
    url = database.local_url(settings, db_name)
    if not reimport:
        engine = _reusable(settings, url, stamp)
        if engine is not None:
            try:
                migrate(engine)
                return ScratchDatabase(engine, url, f"cached in {db_name}", None)
            except (MigrationError, DatabaseError) as exc:
                print(f"[scratch] migrate failed on the cached {db_name} ({exc}); re-importing",
                      file=sys.stderr, flush=True)
                engine.dispose()
    cluster.create_database(settings, db_name, replace=True)
    engine = make_engine(settings, url)
    migrate(engine)
    started = time.perf_counter()
    summary = import_osm(engine, pbf, synthetic=synthetic)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.exec_driver_sql("CREATE TABLE public.bench_stamp (stamp text)")
        conn.exec_driver_sql("INSERT INTO public.bench_stamp VALUES (%s)", (stamp,))
    how = f"imported into {db_name} in {time.perf_counter() - started:.1f} s"
    return ScratchDatabase(engine, url, how, summary)


def _reusable(settings: Settings, url: str, stamp: str) -> Engine | None:
    """An engine on the database if it exists and holds ``stamp``, else None."""
    engine = make_engine(settings, url)
    try:
        with engine.connect() as conn:
            found = conn.exec_driver_sql("SELECT stamp FROM public.bench_stamp").scalar()
    except (OperationalError, ProgrammingError):  # no database, or no stamp table yet
        found = None
    if found == stamp:
        return engine
    engine.dispose()
    return None


def generated_city(edges: int) -> tuple[Path, str]:
    """The generated city of about ``edges`` road edges (``bench/out/gen/gen<N>k``, made once
    by ``demo.sizes.generate_network_of_size``): its .pbf, and the name of the scratch
    database the workers and province benchmarks import it into."""
    from demo.sizes import generate_network_of_size
    name = f"gen{edges // 1000}k"
    pbf = Path(__file__).resolve().parent / "out" / "gen" / name / "demo_city.osm.pbf"
    if not pbf.exists():
        print(f"generating a network of {edges:,} edges into {pbf.parent}", file=sys.stderr)
        generate_network_of_size(pbf.parent, target_edges=edges)
    return pbf, f"rc_bench_workers_{name}"

