"""People apply to volunteer online with a photo of their certificate: the application waits
for an admin, the photo (stripped of its GPS position) is for dispatch and admins only."""

import io

import pytest
from sqlalchemy import Engine, text

from gis.osm_import import import_osm
from gis.tokens import create_token
from rescuecircle.paths import PROJECT_ROOT
from tests.conftest import client_for
from tests.photos import gdalinfo, jpeg_with_gps_bytes, png_bytes

TOY_CITY = PROJECT_ROOT / "tests" / "data" / "toy_city.osm"


@pytest.fixture(scope="module")
def jpeg_with_gps(tmp_path_factory) -> bytes:
    return jpeg_with_gps_bytes(tmp_path_factory.mktemp("certificate"))


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("applications")
    import_osm(engine, TOY_CITY)
    return engine


def test_an_application_waits_for_approval_and_its_photo_stays_private(
        engine, jpeg_with_gps, tmp_path):
    client = client_for(engine)
    sent = client.post("/api/volunteers/apply", content_type="multipart/form-data", data={
        "name": "Chen Jie", "phone": "13700000001", "level": "junior",
        "certificate_no": "RC-2026-0001", "certified_until": "2028-06-30",
        "certificate_photo": (io.BytesIO(jpeg_with_gps), "certificate.jpg")})
    assert sent.status_code == 201 and sent.json["status"] == "pending"
    volunteer_id = sent.json["id"]
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT status, source, certificate_photo_id FROM rc.volunteer WHERE id = :id"),
            {"id": volunteer_id}).one()
    assert row.status == "pending" and row.source == "application"
    url = f"/api/volunteers/{volunteer_id}/certificate-photo"
    assert client.get(url).status_code == 401
    analyst = {"Authorization": f"Bearer {create_token(engine, role='analyst')}"}
    assert client.get(url, headers=analyst).status_code == 403
    assert client.get(f"/api/photos/{row.certificate_photo_id}").status_code == 404
    admin = {"Authorization": f"Bearer {create_token(engine, role='admin')}"}
    photo = client.get(url, headers=admin)
    assert photo.status_code == 200 and photo.content_type == "image/jpeg"
    assert "GPS" not in gdalinfo(photo.get_data(), tmp_path, "certificate.jpg")
    approved = client.post(f"/api/volunteers/{volunteer_id}/status", headers=admin,
                           json={"status": "active"})
    assert approved.status_code == 200 and approved.json["ecert_id"]
    twice = client.post("/api/volunteers/apply", content_type="multipart/form-data", data={
        "name": "Someone", "phone": "13700000002", "certificate_no": "RC-2026-0001"})
    assert twice.status_code == 400 and "already registered" in twice.json["description"]
    bad = client.post("/api/volunteers/apply", content_type="multipart/form-data", data={
        "name": "No Phone"})
    assert bad.status_code == 400 and "phone" in bad.json["description"]
    fake = client.post("/api/volunteers/apply", content_type="multipart/form-data", data={
        "name": "Fake", "phone": "13700000003",
        "certificate_photo": (io.BytesIO(png_bytes()[:30]), "c.png")})
    assert fake.status_code == 400 and "PNG" in fake.json["description"]
