"""The web pages: the public AED finder, the dispatch console, the responder page, the
planner view, and the community pages (the AED owners' page, the public training-site
finder).

Pages and everything they load (MapLibre GL JS copied from npm into ``web/vendor`` by
``npm install``, our scripts, styles and translations) come from this server; the basemap is
our own ``/tiles/basemap`` vector tiles. Nothing is fetched from another host, so the pages
work on a network cut off from the internet. The pages hold no data: they call the API with
the caller's token (the console and planner keep it in ``sessionStorage``; the responder page
and the owner page in ``localStorage``, on the person's or organisation's own device).
"""

from pathlib import Path

from flask import Blueprint, Response, send_from_directory
from flask.typing import ResponseReturnValue

from rescuecircle.paths import PROJECT_ROOT

WEB_DIR = PROJECT_ROOT / "web"
PAGES = {"finder": "finder.html", "console": "console.html", "planner": "planner.html",
         "responder": "responder.html", "owner": "owner.html", "training": "training.html"}

blueprint = Blueprint("web", __name__)


def _send(directory: Path, name: str, *, max_age_s: int) -> Response:
    response = send_from_directory(directory, name, max_age=max_age_s)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.get("/finder")
def finder() -> ResponseReturnValue:
    """The public AED finder (mobile first)."""
    return _send(WEB_DIR, PAGES["finder"], max_age_s=0)


@blueprint.get("/console")
def console() -> ResponseReturnValue:
    """The dispatch console (the dispatcher token is entered in the page)."""
    return _send(WEB_DIR, PAGES["console"], max_age_s=0)


@blueprint.get("/responder")
def responder() -> ResponseReturnValue:
    """The responder page for volunteers' phones (their token is entered in the page)."""
    return _send(WEB_DIR, PAGES["responder"], max_age_s=0)


@blueprint.get("/planner")
def planner() -> ResponseReturnValue:
    """The planner view (districts, layers, exports)."""
    return _send(WEB_DIR, PAGES["planner"], max_age_s=0)


@blueprint.get("/owner")
def owner() -> ResponseReturnValue:
    """AED owners: their AEDs and what needs doing, and the moderation queue (token in the
    page)."""
    return _send(WEB_DIR, PAGES["owner"], max_age_s=0)


@blueprint.get("/training")
def training() -> ResponseReturnValue:
    """The public training-site finder with enrolment and the volunteer application."""
    return _send(WEB_DIR, PAGES["training"], max_age_s=0)


@blueprint.get("/finder-sw.js")
def service_worker() -> ResponseReturnValue:
    """The finder's service worker, at the root so it may control ``/finder``."""
    response = _send(WEB_DIR, "sw.js", max_age_s=0)
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@blueprint.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """The icon browsers ask for by themselves (an SVG, which they all show)."""
    response = _send(WEB_DIR, "favicon.svg", max_age_s=86400)
    response.mimetype = "image/svg+xml"
    return response


@blueprint.get("/web/<path:name>")
def asset(name: str) -> ResponseReturnValue:
    """Scripts, styles, translations and the vendored MapLibre (path traversal is refused by
    ``send_from_directory``: a 404)."""
    return _send(WEB_DIR, name, max_age_s=300)
