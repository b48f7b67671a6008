"""pygeoapi 0.24 mounted under ``/ogc``: OGC API - Features over our public tables.

``pygeoapi.flask_app`` reads its configuration and OpenAPI files at import time, so it is not
imported. Instead :func:`pygeoapi_config` builds pygeoapi's configuration as a dict from our
Settings, and :func:`create_blueprint` wraps pygeoapi's framework-free API functions in one-line
Flask routes (the ``execute_from_flask`` pattern of ``pygeoapi/flask_app.py``).

Only public layers are collections; volunteers, their positions, incidents and dispatches never
are. What depends on the data is filled in per request: each collection's extent (from its rows,
``gis.extents``, kept per table version) and its link to its vector tiles; items are served as
``application/geo+json``. ``api/ogc_meta.py`` adds the conformance classes and landing-page links
of what we serve beside pygeoapi (processes, jobs, tiles), and ``/ogc/openapi`` is our own
document (``api/ogc_openapi.py``), true to the methods served and resolvable offline.

:class:`PostgreSQLProvider` is pygeoapi's own provider with the faults it maps wrongly answered
properly: a database outage is a 503 (pygeoapi says 500, or 404 for a single item), and a bbox
with NaN or infinity, a datetime on a layer without time, or a CQL filter naming an unknown
property are 400s (pygeoapi answers 500, or matches nothing), and a 3D bbox drops its heights
(pygeoapi hands six numbers to ``ST_MakeEnvelope`` and fails).
"""

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pygeoapi
import pygeoapi.api as core_api
import pygeoapi.api.itemtypes as itemtypes_api
from flask import Blueprint, Response, request
from geoalchemy2.functions import ST_Intersects, ST_MakeEnvelope
from pygeoapi.api import API, APIRequest
from pygeoapi.provider.base import (
    ProviderConnectionError,
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
)
from pygeoapi.provider.sql import PostgreSQLProvider as StockPostgreSQLProvider
from pygeofilter.backends.sqlalchemy.evaluate import to_filter
from sqlalchemy import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from api import ogc_openapi
from api.ogc_meta import CRS84, landing_links, with_conformance, with_extents
from api.tiles import service as tile_service
from gis.catalogue import PUBLIC_LAYERS
from gis.extents import Extent, ExtentCache
from rescuecircle.database import read_url
from rescuecircle.errors import InvalidInput, Unavailable
from rescuecircle.settings import Settings

PREFIX = "/ogc"
GEOJSON = "application/geo+json"
TILESETS_VECTOR = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
WORLD = [-180, -90, 180, 90]  # pygeoapi needs a bbox even for an empty collection
NO_EXTENT = Extent(None)  # of an empty table, or of any while the database is down
SRID = 4326  # of every geometry column we publish
# A transparent 1x1 PNG: pygeoapi's HTML pages draw it instead of fetching an external basemap.
BLANK_TILE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
# SQLSTATEs of a query value unfit for its column: data exceptions (class 22, such as 22P02
# invalid text representation), no operator for these types (42883), datatype mismatch (42804).
TYPE_CLASHES = ("22", "42883", "42804")
PYGEOAPI_STATIC = Path(pygeoapi.__file__).parent / "static"


@dataclass(frozen=True)
class Layer:
    """One public table served as a Features collection."""

    collection: str
    title: dict[str, str]
    description: dict[str, str]
    keywords: tuple[str, ...]
    title_field: str | None = "name"
    time_field: str | None = None

    @property
    def table(self) -> str:
        """The collection's table: only a public layer (``gis.catalogue``) is a collection."""
        return PUBLIC_LAYERS[self.collection]


LAYERS = (
    Layer("stations", {"en": "Ambulance stations", "zh": "急救站"},
          {"en": "Stations ambulances leave from", "zh": "救护车出发的急救站点"},
          ("ambulance", "station", "EMS")),
    Layer("aeds", {"en": "AEDs", "zh": "自动体外除颤器"},
          {"en": "Automated external defibrillators with status, access and opening hours; "
                 "the datetime parameter filters on updated_at",
           "zh": "自动体外除颤器（AED）及其状态、开放时间和可用性"},
          ("AED", "defibrillator"), time_field="updated_at"),
    Layer("hospitals", {"en": "Hospitals", "zh": "医院"},
          {"en": "Hospitals patients are taken to", "zh": "接收患者的医院"},
          ("hospital",)),
    Layer("drone_pads", {"en": "Drone pads", "zh": "无人机起降点"},
          {"en": "Pads drones carrying AEDs take off from, with range and speed",
           "zh": "运送AED的无人机起降点，含航程与速度"},
          ("drone", "AED delivery")),
    Layer("helipads", {"en": "Helipads and air bases", "zh": "直升机停机坪与航空医疗救援基地"},
          {"en": "Helipads, landing points and air-ambulance bases, with their helicopters",
           "zh": "直升机停机坪、临时起降点和航空医疗救援基地"},
          ("helicopter", "air ambulance", "HEMS")),
    Layer("training_sites", {"en": "Training sites", "zh": "培训点"},
          {"en": "Where first-aid training is given", "zh": "急救培训地点"},
          ("training", "first aid")),
    Layer("districts", {"en": "Districts", "zh": "行政区"},
          {"en": "Areas planners report coverage for", "zh": "规划统计覆盖率的区域"},
          ("district", "planning")),
    Layer("road_edges", {"en": "Road network", "zh": "道路网络"},
          {"en": "Road segments with travel times in seconds per mode (drive, walk, bike); "
                 "a negative cost means closed to that mode in that direction",
           "zh": "道路路段及各出行方式（驾车、步行、骑行）的通行时间（秒）"},
          ("roads", "network", "routing")),
)


class DatabaseUnavailable(ProviderConnectionError, Unavailable):
    """The database cannot be reached: pygeoapi renders it as a 503, and so does api.errors."""

    http_status_code = HTTPStatus.SERVICE_UNAVAILABLE
    default_msg = "the database is unavailable; try again shortly"

    def __init__(self) -> None:
        super().__init__(self.default_msg)


class PostgreSQLProvider(StockPostgreSQLProvider):  # type: ignore[misc]
    """pygeoapi's PostgreSQL provider, with outages as 503 and bad queries as 400."""

    def __init__(self, provider_def: dict[str, Any]) -> None:
        try:
            super().__init__(provider_def)
        except ProviderConnectionError as exc:
            raise DatabaseUnavailable from exc

    def query(self, **kwargs: Any) -> dict[str, Any]:
        bbox = kwargs.get("bbox") or []
        if not all(math.isfinite(value) for value in bbox):
            raise ProviderInvalidQueryError(user_msg="bbox values must be finite numbers")
        if len(bbox) == 6:  # minx,miny,minz,maxx,maxy,maxz: our layers are 2D
            kwargs["bbox"] = [bbox[0], bbox[1], bbox[3], bbox[4]]
        if kwargs.get("datetime_") not in (None, "../..") and self.time_field is None:
            raise ProviderInvalidQueryError(user_msg="datetime: this collection has no time")
        try:
            result: dict[str, Any] = super().query(**kwargs)
        except OperationalError as exc:
            raise DatabaseUnavailable from exc
        except DBAPIError as exc:  # our tables are fixed: a type clash comes from the request
            state = _sqlstate(exc)
            # PostGIS reports a malformed geometry (from a filter) as internal_error, XX000.
            bad_geometry = state == "XX000" and kwargs.get("filterq") is not None
            if not (state.startswith(TYPE_CLASHES) or bad_geometry):
                raise
            raise ProviderInvalidQueryError(
                user_msg="a value in the query does not match its property's type") from exc
        return result

    def _get_bbox_filter(self, bbox: list[float]) -> Any:
        """Our geometries are SRID 4326 in lon/lat order, as CRS84 bboxes are.

        The stock provider derives the SRID from the CRS84 URI through a PROJ string on every
        request, which costs time and raises pyproj's "lose important projection information"
        UserWarning.
        """
        if not bbox:
            return True
        return ST_Intersects(ST_MakeEnvelope(*bbox, SRID), getattr(self.table_model, self.geom))

    def _get_cql_filters(self, filterq: Any) -> Any:
        """As the stock provider, but a property we do not have is an error, not a string.

        pygeofilter otherwise compares the property's *name* as a literal, so a typo in a
        filter silently matches nothing.
        """
        if not filterq:
            return True
        columns = {column.key: getattr(self.table_model, column.key)
                   for column in self.table_model.__table__.columns}
        try:
            return to_filter(filterq, columns, undefined_as_null=False)
        except KeyError as exc:
            raise ProviderInvalidQueryError(
                user_msg=f"filter: unknown property or function {exc}") from exc
        except Exception as exc:  # the filter is the only input here: POINT(1 1 1 1), 1/0, ...
            raise ProviderInvalidQueryError(user_msg="filter: cannot be evaluated") from exc

    def get(self, identifier: str, **kwargs: Any) -> dict[str, Any]:
        try:
            feature: dict[str, Any] = super().get(identifier, **kwargs)
        except ProviderItemNotFoundError as exc:  # the stock provider says so for any DB error
            if isinstance(exc.__context__, OperationalError):
                raise DatabaseUnavailable from exc
            raise
        return feature


def pygeoapi_config(settings: Settings) -> dict[str, Any]:
    """pygeoapi's configuration (what its YAML file would hold), built from our Settings."""
    return {
        "server": {
            "bind": {"host": settings.host, "port": settings.port},
            "url": settings.base_url + PREFIX,
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": ["en-US", "zh-CN"],
            "pretty_print": False,
            "limits": {"default_items": 100, "max_items": 10000, "on_exceed": "throttle"},
            "map": {"url": BLANK_TILE, "attribution": "rescuecircle"},
        },
        "logging": {"level": settings.log_level},
        "metadata": {
            "identification": {
                "title": {"en": "rescuecircle", "zh": "rescuecircle 急救圈"},
                "description": {
                    "en": "Emergency medical response: stations, AEDs, hospitals, drone pads, "
                          "training sites, districts and the road network",
                    "zh": "急救响应：急救站、AED、医院、无人机起降点、培训点、行政区和道路网络",
                },
                "keywords": ["emergency", "AED", "EMS", "5-minute rescue circle"],
                "keywords_type": "theme",
                "terms_of_service": "https://www.gnu.org/licenses/agpl-3.0.html",
                "url": settings.base_url,
            },
            "license": {
                "name": "ODbL-1.0 where derived from OpenStreetMap",
                "url": "https://opendatacommons.org/licenses/odbl/1-0/",
            },
            "provider": {"name": "rescuecircle", "url": settings.base_url},
            "contact": {"name": "rescuecircle operators", "url": settings.base_url},
        },
        "resources": {layer.collection: _collection(layer, settings) for layer in LAYERS},
    }


def create_blueprint(settings: Settings, engine: Engine) -> Blueprint:
    """Routes under ``/ogc`` for landing page, OpenAPI, conformance, collections and items."""
    api = API(pygeoapi_config(settings), openapi={})
    extents = ExtentCache(engine)
    blueprint = Blueprint("ogc", __name__, url_prefix=PREFIX,
                          static_folder=PYGEOAPI_STATIC, static_url_path="/static")

    def run(function: Callable[..., tuple[dict[str, str], int, str | bytes]], *args: Any,
            check_format: bool = True, rewrite: Callable[[Any], Any] | None = None,
            media_type: str | None = None) -> Response:
        """Call a pygeoapi API function on the Flask request; its errors are its own responses.
        A successful JSON answer is passed through ``rewrite`` and served as ``media_type``."""
        api_request = APIRequest.from_flask(request, api.locales)
        if check_format and not api_request.is_valid():
            headers, status, content = api.get_format_exception(api_request)
        else:
            headers, status, content = function(api, api_request, *args)
        response = Response(content, status=status, headers=headers)
        if status == HTTPStatus.OK and response.mimetype == "application/json":
            if rewrite is not None:
                response.set_data(json.dumps(rewrite(json.loads(content))))
            if media_type is not None:
                response.mimetype = media_type
        return response

    @blueprint.get("/", strict_slashes=False)
    def landing_page() -> Response:
        return run(core_api.landing_page, rewrite=partial(landing_links, settings.base_url))

    @blueprint.get("/openapi")
    def openapi() -> Response:
        tiled = [layer.collection for layer in LAYERS
                 if layer.collection in tile_service().catalogue().public]
        api.openapi = ogc_openapi.document(
            settings.base_url, [layer.collection for layer in LAYERS], tiled)
        return run(core_api.openapi_)

    @blueprint.get("/conformance")
    def conformance() -> Response:
        return run(core_api.conformance, rewrite=with_conformance)

    @blueprint.get("/collections")
    @blueprint.get("/collections/<collection>")
    def collections(collection: str | None = None) -> Response:
        try:
            found = extents.extents({layer.table: layer.time_field for layer in LAYERS})
            tiled = set(tile_service().catalogue().public)
        except OperationalError:  # the database is down: the collections, without what it says
            found, tiled = {}, set()
        for layer in LAYERS:
            api.config["resources"][layer.collection].update(_described(
                layer, found.get(layer.table, NO_EXTENT), tiled, settings.base_url))
        described = {layer.collection: found.get(layer.table, NO_EXTENT) for layer in LAYERS}
        return run(core_api.describe_collections, collection,
                   rewrite=partial(with_extents, described))

    @blueprint.get("/collections/<collection>/schema")
    def schema(collection: str) -> Response:
        return run(core_api.get_collection_schema, collection)

    @blueprint.get("/collections/<collection>/queryables")
    def queryables(collection: str) -> Response:
        return run(itemtypes_api.get_collection_queryables, collection)

    @blueprint.get("/collections/<collection>/items")
    def items(collection: str) -> Response:
        _check_bbox_range(request.args.get("bbox"))
        return run(itemtypes_api.get_collection_items, collection, check_format=False,
                   media_type=GEOJSON)

    @blueprint.get("/collections/<collection>/items/<item>")
    def item(collection: str, item: str) -> Response:
        return run(itemtypes_api.get_collection_item, collection, item, media_type=GEOJSON)

    return blueprint


def _described(layer: Layer, extent: Extent, tiled: set[str], base_url: str
               ) -> dict[str, Any]:
    """What pygeoapi's configuration says of a collection that depends on the data: its bbox
    (for the HTML map; the JSON gets the whole extent from ``with_extents``) and a link to its
    vector tiles when it has them."""
    extents = {**_extents(layer), "spatial": {"bbox": list(extent.bbox or WORLD), "crs": CRS84}}
    links = [{"type": "application/json", "rel": TILESETS_VECTOR,
              "title": {"en": "Vector tiles", "zh": "矢量瓦片"},
              "href": f"{base_url}{PREFIX}/collections/{layer.collection}/tiles"}]
    return {"extents": extents, "links": links if layer.collection in tiled else []}


def _extents(layer: Layer) -> dict[str, Any]:
    """The extents pygeoapi starts with: the world, and an open time span where there is time
    (pygeoapi checks a datetime against it, so it stays open: see ``with_extents``)."""
    extents: dict[str, Any] = {"spatial": {"bbox": WORLD, "crs": CRS84}}
    if layer.time_field:
        extents["temporal"] = {"begin": None, "end": None}
    return extents


def _collection(layer: Layer, settings: Settings) -> dict[str, Any]:
    """A collection as pygeoapi's configuration has it; ``_described`` fills in its extents."""
    provider: dict[str, Any] = {
        "type": "feature",
        "name": f"{__name__}.{PostgreSQLProvider.__name__}",
        "data": _connection(settings),
        "options": {"connect_timeout": 5, "search_path": ["rc"]},
        "id_field": "id",
        "table": layer.table,
        "geom_field": "geom",
        "title_field": layer.title_field,
    }
    if layer.time_field:
        provider["time_field"] = layer.time_field
    return {
        "type": "collection",
        "title": layer.title,
        "description": layer.description,
        "keywords": list(layer.keywords),
        "extents": _extents(layer),
        "providers": [provider],
    }


def _connection(settings: Settings) -> str:
    """The provider's ``data``: the public reads' database URL (the replica's when
    RC_DATABASE_READ_URL is set), for psycopg2, which pygeoapi drives itself. A URL kept whole,
    not taken apart, keeps every host of a multi-host URL."""
    url = make_url(read_url(settings)).set(drivername="postgresql+psycopg2")
    return url.render_as_string(hide_password=False)


def _sqlstate(exc: DBAPIError) -> str:
    """The SQLSTATE of a database error from psycopg2 (pygeoapi's driver); "" when unknown."""
    return str(getattr(exc.orig, "pgcode", None) or "")


def _check_bbox_range(bbox: str | None) -> None:
    """Refuse a bbox whose corners lie outside WGS84 (pygeoapi checks only its shape)."""
    if not bbox:
        return
    try:
        values = [float(v) for v in bbox.split(",")]
    except ValueError:
        return  # not numbers: pygeoapi's own check answers that with a 400
    if len(values) not in (4, 6):
        return
    half = len(values) // 2
    corners = (values[0], values[1], values[half], values[half + 1])
    if not all(-180 <= lon <= 180 for lon in corners[0::2]) or not all(
            -90 <= lat <= 90 for lat in corners[1::2]):
        raise InvalidInput(f"bbox {bbox!r} lies outside -180..180 longitude, -90..90 latitude")
