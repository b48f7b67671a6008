"""What ``/ogc`` says of itself beyond what pygeoapi knows: conformance, links, extents.

pygeoapi serves the landing page, conformance and collections from its configuration, which
knows only OGC API - Features. The processes (``api/processes.py``, ``api/jobs.py``) and the
collections' vector tiles (``api/ogc_tiles.py``) are ours, so their conformance classes are
added here, the landing page's tiling-schemes link (pygeoapi writes ``/TileMatrixSets``, which
no one serves) points at ``/ogc/tileMatrixSets``, the job list is linked, and collections get
their data's extents. Each function takes pygeoapi's JSON answer and returns it amended.
"""

from datetime import UTC
from typing import Any

from gis.extents import Extent

OGC_REL = "http://www.opengis.net/def/rel/ogc/1.0"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
# Served by api/processes.py and api/jobs.py: list, describe, execute (sync; async for some),
# job status, results and the job list. Dismiss (DELETE /jobs/{id}) and callbacks are not.
PROCESSES = [
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/ogc-process-description",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/json",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/job-list",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/oas30",
]
# Served by api/ogc_tiles.py: each collection's tile sets, in WebMercatorQuad, as MVT.
TILES = [
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
]


def with_conformance(body: dict[str, Any]) -> dict[str, Any]:
    """pygeoapi's conformance classes and ours (Processes, Tiles), sorted."""
    return {**body, "conformsTo": sorted({*body["conformsTo"], *PROCESSES, *TILES})}


def landing_links(base_url: str, body: dict[str, Any]) -> dict[str, Any]:
    """The landing page with a tiling-schemes link that works and a link to the job list."""
    links = [link for link in body["links"] if link["rel"] != f"{OGC_REL}/tiling-schemes"]
    links += [
        {"rel": f"{OGC_REL}/tiling-schemes", "type": "application/json",
         "title": "The supported tiling schemes", "href": f"{base_url}/ogc/tileMatrixSets"},
        {"rel": f"{OGC_REL}/job-list", "type": "application/json",
         "title": "Jobs (with the token that started them)", "href": f"{base_url}/ogc/jobs"},
    ]
    return {**body, "links": links}


def with_extents(extents: dict[str, Extent], body: dict[str, Any]) -> dict[str, Any]:
    """Collections with the extents of their data (``extents`` by collection id): none for a
    collection without rows (or while the database is down), where pygeoapi must put a bbox
    that would send clients to the whole world; and the time span of the rows where there is
    one. pygeoapi's configuration keeps that span open (null to null): it refuses a datetime
    outside the configured span, where a query should just find nothing."""
    def amended(collection: dict[str, Any]) -> dict[str, Any]:
        extent = extents.get(collection.get("id", ""))
        if extent is None:
            return collection
        if extent.bbox is None:
            return {key: value for key, value in collection.items() if key != "extent"}
        described = {**collection["extent"], "spatial": {"bbox": [list(extent.bbox)],
                                                         "crs": CRS84}}
        if extent.begin is not None and extent.end is not None:
            described["temporal"] = {"interval": [[extent.begin.astimezone(UTC).isoformat(),
                                                   extent.end.astimezone(UTC).isoformat()]],
                                     "trs": GREGORIAN}
        return {**collection, "extent": described}

    if "collections" in body:
        return {**body, "collections": [amended(c) for c in body["collections"]]}
    return amended(body)
