"""Proposals from the public: a new AED with a photo goes through moderation into the registry
and the finder, photo and all, its GPS metadata gone (read back with GDAL); a rejected one
never shows; owners moderate only their own devices; bad photos and floods are refused."""


import pytest
from sqlalchemy import Engine, text

from api.app import create_app
from gis.osm_import import import_osm
from gis.tokens import create_token, organisation_named
from rescuecircle.paths import PROJECT_ROOT
from tests.conftest import app_settings
from tests.photos import gdalinfo, jpeg_with_gps_bytes, png_bytes

TOY_CITY = PROJECT_ROOT / "tests" / "data" / "toy_city.osm"


@pytest.fixture(scope="module")
def jpeg_with_gps(tmp_path_factory) -> bytes:
    return jpeg_with_gps_bytes(tmp_path_factory.mktemp("photo"))


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("proposals")
    import_osm(engine, TOY_CITY)
    return engine


@pytest.fixture(scope="module")
def client(engine):
    settings = app_settings(engine).model_copy(update={"report_limit_per_hour": 1000})
    return create_app(settings, engine=engine).test_client()


@pytest.fixture(scope="module")
def admin(engine) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(engine, role='admin')}"}


def propose(client, photo: bytes | None = None, **form: str):
    data = {**form}
    if photo is not None:
        data["photo"] = (__import__("io").BytesIO(photo), "aed.jpg")
    return client.post("/api/aed-proposals", data=data, content_type="multipart/form-data")


def finder_names(client) -> set[str]:
    found = client.get("/api/aeds/nearest?lon=0.0015&lat=0&at=2026-12-06T12:00:00%2B08:00")
    return {f["properties"]["name"] for f in found.json["features"]}


def test_a_proposal_with_a_photo_is_moderated_into_the_finder_without_its_gps(
        client, admin, engine, jpeg_with_gps, tmp_path):
    sent = propose(client, jpeg_with_gps, name="Library AED", lon="0.0016", lat="0.0001",
                   location_text="beside the lifts", opening_hours="24/7", access="yes")
    assert sent.status_code == 201, sent.json
    proposal = sent.json["id"]
    assert "Library AED" not in finder_names(client)
    with engine.connect() as conn:
        photo_id, stored = conn.execute(text(
            "SELECT f.id, f.bytes FROM rc.photo f JOIN rc.aed_proposal p ON p.photo_id = f.id "
            "WHERE p.id = :id"), {"id": proposal}).one()
    assert client.get(f"/api/photos/{photo_id}").status_code == 404     # not yet published
    info = gdalinfo(bytes(stored), tmp_path, "stored.jpg")
    assert "Size is 8, 6" in info and "GPS" not in info and "EXIF" not in info
    queue = client.get("/api/aed-proposals", headers=admin).json
    assert [p["id"] for p in queue] == [proposal]
    accepted = client.post(f"/api/aed-proposals/{proposal}/accept", headers=admin, json={})
    assert accepted.status_code == 200 and accepted.json["aed_id"]
    found = client.get("/api/aeds/nearest?lon=0.0015&lat=0").json["features"]
    mine = next(f for f in found if f["properties"]["name"] == "Library AED")
    assert mine["properties"]["photo_ref"] == f"/api/photos/{photo_id}"
    served = client.get(mine["properties"]["photo_ref"])
    assert served.status_code == 200 and served.content_type == "image/jpeg"
    assert served.get_data() == bytes(stored)
    with engine.connect() as conn:
        source = conn.execute(text("SELECT source FROM rc.aed WHERE id = :id"),
                              {"id": accepted.json["aed_id"]}).scalar_one()
    assert source == f"proposal:{proposal}"
    again = client.post(f"/api/aed-proposals/{proposal}/reject", headers=admin,
                        json={"reason": "late"})
    assert again.status_code == 409


def test_a_rejected_proposal_never_shows_and_needs_a_reason(client, admin, engine):
    sent = propose(client, png_bytes(), name="Imaginary AED", lon="0.0014", lat="0")
    proposal = sent.json["id"]
    assert client.post(f"/api/aed-proposals/{proposal}/reject", headers=admin,
                       json={}).status_code == 400
    rejected = client.post(f"/api/aed-proposals/{proposal}/reject", headers=admin,
                           json={"reason": "no such device at this place"})
    assert rejected.status_code == 200
    assert "Imaginary AED" not in finder_names(client)
    with engine.connect() as conn:
        photo_id, stored = conn.execute(text(
            "SELECT f.id, f.bytes FROM rc.photo f JOIN rc.aed_proposal p ON p.photo_id = f.id "
            "WHERE p.id = :id"), {"id": proposal}).one()
    assert client.get(f"/api/photos/{photo_id}").status_code == 404
    assert b"tEXt" not in bytes(stored) and b"IDAT" in bytes(stored)


def test_owners_moderate_only_proposals_about_their_own_aeds(client, engine):
    owner = {"Authorization": "Bearer " + create_token(
        engine, role="owner", organisation_id=organisation_named(engine, "Toy Mall"))}
    mine = client.post("/api/aeds", headers=owner, json={"name": "Mall AED",
                                                         "point": [0.0012, 0.0]}).json["id"]
    with engine.connect() as conn:
        other = conn.execute(text("SELECT min(id) FROM rc.aed WHERE organisation_id IS NULL")
                             ).scalar_one()
    gone = propose(client, kind="gone", aed_id=str(mine), note="the case is empty").json["id"]
    elsewhere = propose(client, kind="wrong_hours", aed_id=str(other),
                        opening_hours="Mo-Fr 08:00-18:00").json["id"]
    assert [p["id"] for p in client.get("/api/aed-proposals", headers=owner).json] == [gone]
    assert client.post(f"/api/aed-proposals/{elsewhere}/accept", headers=owner,
                       json={}).status_code == 403
    assert client.post(f"/api/aed-proposals/{gone}/accept", headers=owner,
                       json={}).status_code == 200
    with engine.connect() as conn:
        status = conn.execute(text("SELECT status FROM rc.aed WHERE id = :id"),
                              {"id": mine}).scalar_one()
    assert status == "missing"


@pytest.mark.parametrize(("photo", "form", "names_it"), [
    (b"GIF89a...", {"name": "x", "lon": "0.001", "lat": "0"}, "JPEG or PNG"),
    (b"\xff\xd8" + b"\x00" * 20, {"name": "x", "lon": "0.001", "lat": "0"}, "valid JPEG"),
    (None, {"lon": "0.001", "lat": "0"}, "name is required"),
    (None, {"kind": "moved", "lon": "0.001", "lat": "0"}, "aed_id is required"),
    (None, {"name": "x", "lon": "500", "lat": "0"}, "lon"),
])
def test_bad_proposals_are_400_and_store_nothing(client, engine, photo, form, names_it):
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM rc.aed_proposal")).scalar()
    response = propose(client, photo, **form)
    assert response.status_code == 400 and names_it in response.json["description"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM rc.aed_proposal")).scalar() == before


def test_a_flood_of_proposals_is_refused(engine):
    settings = app_settings(engine).model_copy(update={"report_limit_per_hour": 3})
    strict = create_app(settings, engine=engine).test_client()
    strict.environ_base["REMOTE_ADDR"] = "192.0.2.7"        # an address of its own
    answers = [propose(strict, name=f"flood {i}", lon="0.001", lat="0").status_code
               for i in range(5)]
    assert answers == [201, 201, 201, 429, 429]


def test_the_moderator_sees_the_pending_photo_and_no_one_else(client, admin, engine):
    """GET /api/aed-proposals/{id}/photo: the admin, and the owner of the AED concerned, see
    the photo before deciding; the public, analysts and other owners do not."""
    mall = organisation_named(engine, "Photo Mall")
    owner = {"Authorization": "Bearer " + create_token(engine, role="owner",
                                                       organisation_id=mall)}
    stranger = {"Authorization": "Bearer " + create_token(
        engine, role="owner", organisation_id=organisation_named(engine, "Photo Bank"))}
    analyst = {"Authorization": "Bearer " + create_token(engine, role="analyst")}
    mine = client.post("/api/aeds", headers=owner, json={"name": "Photo Mall AED",
                                                         "point": [0.0013, 0.0]}).json["id"]
    moved = propose(client, png_bytes(), kind="moved", aed_id=str(mine), lon="0.0014",
                    lat="0.0").json["id"]
    new = propose(client, png_bytes(), name="Kiosk AED", lon="0.0017", lat="0.0").json["id"]
    bare = propose(client, name="Bare AED", lon="0.0018", lat="0.0").json["id"]
    url = f"/api/aed-proposals/{moved}/photo"
    for headers in (admin, owner):
        seen = client.get(url, headers=headers)
        assert seen.status_code == 200 and seen.mimetype == "image/png"
        assert seen.data.startswith(b"\x89PNG") and b"tEXt" not in seen.data
        assert seen.headers["Cache-Control"] == "no-store"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=analyst).status_code == 403
    assert client.get(url, headers=stranger).status_code == 403
    # a new AED belongs to no one yet: only admins moderate it
    assert client.get(f"/api/aed-proposals/{new}/photo", headers=owner).status_code == 403
    assert client.get(f"/api/aed-proposals/{new}/photo", headers=admin).status_code == 200
    assert client.get(f"/api/aed-proposals/{bare}/photo", headers=admin).status_code == 404
    assert client.get("/api/aed-proposals/999999/photo", headers=admin).status_code == 404
