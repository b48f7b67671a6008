"""What a real QGIS sees of a running rescuecircle server; run by tests/test_qgis.py.

Runs under Debian's /usr/bin/python3 with python3-qgis (QGIS 3.22), not the project's venv,
headless (QT_QPA_PLATFORM=offscreen). Reads a JSON job on stdin and prints a JSON report:

- ``oapif``: each collection loaded through QGIS's OAPIF provider (pygeoapi under /ogc):
  validity, CRS, geometry type, fields, the layer's extent before any feature is read (the
  collection's, which "Zoom to layer" uses) and the number of features QGIS downloads;
  ``oapif_bbox``: the same for a layer with ``restrictToRequestBBOX='1'`` and a bbox request.
- ``tiles``: each vector tile layer loaded as an XYZ vector tile layer at one zoom and rendered;
  a counting renderer collects the ids (or summed ``point_count``) QGIS decodes from the tiles.
- ``png``: the basemap and AEDs rendered together, with how many pixels are not background.
- ``files``: each GeoPackage opened with the OGR provider: validity, CRS, count, geometry.
"""

import json
import sys
from urllib.parse import quote

from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeatureRequest,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
    QgsVectorTileBasicRenderer,
    QgsVectorTileLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

WEB_MERCATOR = QgsCoordinateReferenceSystem("EPSG:3857")
WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")


class CountingRenderer(QgsVectorTileBasicRenderer):
    """QGIS's own vector tile renderer that also records what each decoded tile holds."""

    def __init__(self, layer_names, seen):
        super().__init__()
        self.layer_names, self.seen = layer_names, seen  # seen is shared with every clone
        styles = []
        for name in layer_names:
            for style in QgsVectorTileBasicRenderer.simpleStyle(
                    QColor("#d4e6f1"), QColor("#1f618d"), 0.3, QColor("#555555"), 0.4,
                    QColor("#c0392b"), QColor("black"), 2.5):
                # QGIS decodes only the attributes that a style of that MVT layer names.
                style.setLayerName(name)
                style.setFilterExpression('coalesce("id", "point_count", 0) IS NOT NULL')
                styles.append(style)
        self.setStyles(styles)

    def clone(self):  # the render job draws with a clone
        return CountingRenderer(self.layer_names, self.seen)

    def renderTile(self, tile, context):  # noqa: N802 (QGIS's name)
        tile_id = tile.id()
        for layer in tile.layers():
            for feature in tile.layerFeatures(layer):
                names = feature.fields().names()
                self.seen.append({
                    "layer": layer, "zoom": tile_id.zoomLevel(),
                    "id": feature.attribute("id") if "id" in names else None,
                    "point_count": feature.attribute("point_count")
                    if "point_count" in names else None})
        super().renderTile(tile, context)


def geometry_name(layer):
    return QgsWkbTypes.displayString(layer.wkbType())


def load_collection(base, name, *, restrict_to_bbox=False, bbox=None):
    uri = (f"url='{base}/ogc' typename='{name}' pageSize='1000' "
           f"restrictToRequestBBOX='{1 if restrict_to_bbox else 0}'")
    layer = QgsVectorLayer(uri, name, "OAPIF")
    request = QgsFeatureRequest()
    if bbox is not None:
        request.setFilterRect(QgsRectangle(*bbox))
        request.setFlags(QgsFeatureRequest.ExactIntersect)
    extent = layer.extent()  # read before any feature: what "Zoom to layer" uses at once
    return {"valid": layer.isValid(), "crs": layer.crs().authid(),
            "geometry": geometry_name(layer), "fields": layer.fields().names(),
            "extent": [extent.xMinimum(), extent.yMinimum(), extent.xMaximum(),
                       extent.yMaximum()],
            "count": sum(1 for _ in layer.getFeatures(request))}


def render(layers, bbox_lonlat, size_px):
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(WEB_MERCATOR)
    to_mercator = QgsCoordinateTransform(WGS84, WEB_MERCATOR, QgsProject.instance())
    settings.setExtent(to_mercator.transformBoundingBox(QgsRectangle(*bbox_lonlat)))
    settings.setOutputSize(QSize(size_px, size_px))
    settings.setBackgroundColor(QColor("white"))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    return job.renderedImage(), [error.message for error in job.errors()]


def tile_layer(base, name, zoom):
    url = quote(f"{base}/tiles/{name}/{{z}}/{{x}}/{{y}}.mvt", safe=":/{}")
    return QgsVectorTileLayer(f"type=xyz&url={url}&zmin={zoom}&zmax={zoom}", name)


def load_tiles(base, name, zoom, mvt_layers, bbox):
    layer = tile_layer(base, name, zoom)
    seen = []
    layer.setRenderer(CountingRenderer(mvt_layers, seen))
    _, errors = render([layer], bbox, 512)
    ids = sorted({f["id"] for f in seen if f["id"] is not None})
    return {"valid": layer.isValid(), "crs": layer.crs().authid(), "errors": errors,
            "zooms": sorted({f["zoom"] for f in seen}), "features": len(seen), "ids": ids,
            "layers": sorted({f["layer"] for f in seen}),
            "point_count": sum(f["point_count"] or 0 for f in seen)}


def painted_pixels(image, step=2):
    background = QColor("white").rgb()
    return sum(1 for x in range(0, image.width(), step) for y in range(0, image.height(), step)
               if image.pixel(x, y) != background)


def open_file(path):
    layer = QgsVectorLayer(path, "file", "ogr")
    return {"valid": layer.isValid(), "crs": layer.crs().authid(),
            "count": layer.featureCount(), "geometry": geometry_name(layer),
            "fields": layer.fields().names()}


def main():
    job = json.load(sys.stdin)
    base, bbox = job["base_url"], job["bbox"]
    app = QgsApplication([], False)
    app.initQgis()
    report = {"qgis": app.applicationVersion() if hasattr(app, "applicationVersion") else None}
    report["oapif"] = {name: load_collection(base, name) for name in job["collections"]}
    report["oapif_bbox"] = {name: load_collection(base, name, restrict_to_bbox=True, bbox=box)
                            for name, box in job["bbox_collections"].items()}
    report["tiles"] = {f"{name}@{zoom}": load_tiles(base, name, zoom, mvt_layers, bbox)
                       for name, zoom, mvt_layers in job["tiles"]}
    layers = [tile_layer(base, "aeds", 14), tile_layer(base, "basemap", 14)]
    layers[0].setRenderer(CountingRenderer(["aeds"], []))
    layers[1].setRenderer(CountingRenderer(["districts", "roads"], []))
    image, errors = render(layers, bbox, 768)
    image.save(job["png"])
    report["png"] = {"path": job["png"], "errors": errors, "painted": painted_pixels(image),
                     "sampled": (image.width() // 2) * (image.height() // 2)}
    report["files"] = {path: open_file(path) for path in job["files"]}
    print(json.dumps(report))
    app.exitQgis()


if __name__ == "__main__":
    main()
