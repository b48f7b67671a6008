"""Our OpenAPI documents are valid, and schemathesis, fuzzing every operation they describe
over the demo city without a token (the public's view), finds no server error (5xx but 503),
and every answer's status and media type is one its document lists (schemathesis'
``status_code_conformance`` and ``content_type_conformance``), on both documents."""

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from openapi_spec_validator import validate
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance
from sqlalchemy import Engine

from api.app import create_app
from gis.demo_load import load_demo_city
from tests.conftest import app_settings

EXAMPLES = 25  # per operation and generation mode


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("tiles_openapi")
    load_demo_city(engine)
    return engine


@pytest.fixture(scope="module")
def app(engine):
    unlimited = {"public_compute_per_min": 1_000_000}  # every case must reach its handler
    return create_app(app_settings(engine).model_copy(update=unlimited), engine=engine)


def test_openapi_document_is_valid(app):
    document = app.test_client().get("/openapi.json").json
    validate(document)
    paths = set(document["paths"])
    assert {"/tiles/{layer}/{z}/{x}/{y}.mvt", "/api/exports/{filename}", "/routes"} <= paths
    assert not any(private in path for path in paths
                   for private in ("volunteer", "incident", "position"))


def test_every_documented_route_exists(app):
    """Each path of the document answers something other than Flask's 404 for no route."""
    client = app.test_client()
    for path, item in client.get("/openapi.json").json["paths"].items():
        concrete = (path.replace("{layer}", "aeds").replace("{z}", "0").replace("{x}", "0")
                    .replace("{y}", "0").replace("{tileMatrix}", "0").replace("{tileRow}", "0")
                    .replace("{tileCol}", "0").replace("{tileMatrixSetId}", "WebMercatorQuad")
                    .replace("{collectionId}/tiles", "aeds/tiles")
                    .replace("{filename}", "stations.csv").replace("{processId}", "route")
                    .replace("{collectionId}", "stations").replace("{featureId}", "1"))
        method = next(iter(item))
        response = client.open(concrete, method=method.upper(), json={} if method == "post"
                               else None)
        assert response.status_code != 405, concrete
        if response.status_code == 404:
            assert response.json["code"] == "NotFound", concrete  # ours, not Werkzeug's


def test_ogc_openapi_document_is_valid(app):
    validate(app.test_client().get("/ogc/openapi?f=json").json)


CONFORMANCE = [not_a_server_error, status_code_conformance, content_type_conformance]


@pytest.mark.parametrize(("document", "checks"), [
    ("/openapi.json", CONFORMANCE), ("/ogc/openapi?f=json", CONFORMANCE)])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_answers_conform_to_their_document(app, document, checks, mode):
    """Every operation of each document, valid and invalid inputs: no 5xx but 503, and only
    statuses and media types the document lists; failures are reported one per kind
    (operation, status, check) with a few examples.

    Operations are driven one by one (schemathesis' own pytest loader, ``from_fixture``,
    sets ``Function._nodeid``, which pytest 9 no longer has).
    """
    api = schemathesis.openapi.from_wsgi(document, app)
    failures: dict[tuple[str, str, int, str], str] = {}  # one example per kind of failure

    for result in api.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case: Case) -> None:
            response = case.call()
            try:
                case.validate_response(response, checks=checks)
            except (AssertionError, FailureGroup) as exc:
                kinds = re.findall(r"- (ST\d+ [^\n]+)", str(exc)) or [str(exc)[:80]]
                key = (case.method, case.operation.path, response.status_code, kinds[0])
                body = case.body if case.body is not NOT_SET else ""
                failures.setdefault(key, f"{case.method} {case.formatted_path} {case.query or ''} "
                                    f"{body}: {response.status_code} {str(exc)[:300]}")

        try:
            run()
        except Unsatisfiable:  # negative mode, an operation without inputs: nothing to break
            assert mode is GenerationMode.NEGATIVE, operation.path
    assert not failures, "\n".join(
        [f"{len(failures)} kinds of failure:"] + [" ".join(map(str, key)) for key in failures]
        + ["examples:"] + list(failures.values())[:5])
