"""The community pages in a real browser (Debian's chromium through playwright-core, like
``tests/test_web.py``): a member of the public proposes an AED with a photo in the finder, an
admin accepts it in the moderation queue and the finder then shows it with its photo, while a
rejected one never appears; an owner sees only its own AEDs and decides the proposals about
them; a person enrols in a course until it is full and is told so; a volunteer applies.

One server over one demo city serves every flow of this module; each flow is a Node script in
``tests/web/`` whose exit status is the verdict, and which fails on any request outside
127.0.0.1. What the pages claim is then read back from the database.
"""

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from api.app import create_app
from gis.demo_load import load_demo_city
from gis.tokens import create_token, organisation_named
from rescuecircle.settings import Settings
from tests.browser import run_flow
from tests.conftest import app_settings, served
from tests.photos import png_bytes

# the test's own names, so that what the pages show can be told from the demo city's
ACCEPTED = "Browser-test AED, library lobby"
REJECTED = "Browser-test AED, nowhere"


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("community")
    load_demo_city(engine)
    return engine


@pytest.fixture(scope="module")
def community_settings(engine) -> Settings:
    # every flow posts from 127.0.0.1: the per-address limits would refuse the later flows
    return app_settings(engine).model_copy(update={"report_limit_per_hour": 100})


@pytest.fixture(scope="module")
def client(engine, community_settings) -> FlaskClient:
    return create_app(community_settings, engine=engine).test_client()


@pytest.fixture(scope="module")
def base_url(engine, community_settings) -> Iterator[str]:
    with served(engine, community_settings, threads=8) as url:
        yield url


@pytest.fixture(scope="module")
def place(engine) -> dict:
    """A road crossing in the core with AEDs around it, and the two AEDs nearest it."""
    with engine.connect() as conn:
        lon, lat = conn.execute(text(
            "SELECT ST_X(v.geom), ST_Y(v.geom) FROM rc.road_vertex v "
            "ORDER BY v.geom <-> ST_SetSRID(ST_MakePoint(114.2, 22.65), 4326) LIMIT 1")).one()
        nearest = conn.execute(text(
            "SELECT id FROM rc.aed ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) "
            "LIMIT 3"), {"lon": lon, "lat": lat}).scalars().all()
    return {"lon": float(lon), "lat": float(lat), "nearest": list(nearest)}


@pytest.fixture(scope="module")
def owners(engine, client, place) -> dict:
    """Two organisations: a clinic owning the two AEDs nearest the place, a bank owning the
    third; an owner token for each and an admin token."""
    admin = create_token(engine, role="admin", label="web test admin")
    headers = {"Authorization": f"Bearer {admin}"}
    clinic = organisation_named(engine, "Browser Clinic")
    bank = organisation_named(engine, "Browser Bank")
    owned = {clinic: place["nearest"][:2], bank: place["nearest"][2:]}
    for organisation, aeds in owned.items():
        for aed_id in aeds:
            moved = client.put(f"/api/aeds/{aed_id}/organisation", headers=headers,
                               json={"organisation_id": organisation})
            assert moved.status_code == 204, moved.json
    return {"admin": admin,
            "clinic": create_token(engine, role="owner", organisation_id=clinic,
                                   label="Browser Clinic"),
            "bank": create_token(engine, role="owner", organisation_id=bank),
            "clinic_aeds": owned[clinic], "bank_aeds": owned[bank]}


def photo_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("photo") / "aed.png"
    path.write_bytes(png_bytes(16, 12))
    return str(path)


def test_a_proposal_goes_through_moderation_into_the_finder(
        browser, base_url, engine, place, owners, tmp_path_factory):
    """Propose two AEDs with photos in the finder, accept one and reject the other in the
    admin's moderation queue (photos shown), then look for both in the finder."""
    spec = {**place, "admin": owners["admin"], "photo": photo_file(tmp_path_factory),
            "accepted": ACCEPTED, "rejected": REJECTED, "change_aed": place["nearest"][0]}
    run_flow("community_proposals", base_url, spec)
    with engine.connect() as conn:
        decided = dict(conn.execute(text(
            "SELECT fields->>'name', status FROM rc.aed_proposal WHERE fields->>'name' IN "
            "(:a, :r)"), {"a": ACCEPTED, "r": REJECTED}).all())
        registered = conn.execute(text(
            "SELECT a.source, a.photo_ref, a.location_text, a.level FROM rc.aed a "
            "WHERE a.name = :n"), {"n": ACCEPTED}).all()
        rejected = conn.execute(text("SELECT count(*) FROM rc.aed WHERE name = :n"),
                                {"n": REJECTED}).scalar_one()
        change = conn.execute(text(
            "SELECT kind, fields->>'opening_hours', status FROM rc.aed_proposal "
            "WHERE aed_id = :id"), {"id": place["nearest"][0]}).all()
    assert decided == {ACCEPTED: "accepted", REJECTED: "rejected"}
    assert len(registered) == 1
    source, photo_ref, location_text, level = registered[0]
    assert source.startswith("proposal:") and photo_ref.startswith("/api/photos/")
    assert (location_text, level) == ("beside the lifts", "1")
    assert rejected == 0
    # the change sent from the AED's item waits for its owner (the next test decides it)
    assert change == [("wrong_hours", "Mo-Su 06:30-23:00", "pending")]


def test_an_owner_sees_only_its_aeds_and_decides_their_proposals(
        browser, base_url, client, engine, owners, place, tmp_path_factory):
    """The clinic's owner: its two AEDs (never the bank's), what needs doing, a status set,
    dates recorded by an inspection, a new AED registered on the map, and the queue holding
    only proposals about its AEDs, decided there."""
    about_bank = client.post("/api/aed-proposals", content_type="multipart/form-data", data={
        "kind": "gone", "aed_id": str(owners["bank_aeds"][0]), "note": "browser test: bank",
        "photo": (io.BytesIO(png_bytes()), "gone.png")})
    assert about_bank.status_code == 201, about_bank.json
    mine = client.post("/api/aed-proposals", content_type="multipart/form-data", data={
        "kind": "moved", "aed_id": str(owners["clinic_aeds"][1]), "lon": str(place["lon"]),
        "lat": str(place["lat"]), "note": "browser test: now by the door",
        "photo": (io.BytesIO(png_bytes()), "moved.png")})
    assert mine.status_code == 201, mine.json
    with engine.connect() as conn:
        bank_names = conn.execute(text("SELECT name FROM rc.aed WHERE id = ANY(:ids)"),
                                  {"ids": owners["bank_aeds"]}).scalars().all()
        moved_name = conn.execute(text("SELECT name FROM rc.aed WHERE id = :id"),
                                  {"id": owners["clinic_aeds"][1]}).scalar_one()
    spec = {"token": owners["clinic"], "aeds": owners["clinic_aeds"],
            "bank_aeds": owners["bank_aeds"], "bank_names": bank_names,
            "moved": mine.json["id"], "moved_name": moved_name, "about_bank": about_bank.json["id"],
            "inspect": owners["clinic_aeds"][0], "fault": owners["clinic_aeds"][1]}
    run_flow("community_owner", base_url, spec)
    with engine.connect() as conn:
        statuses = dict(conn.execute(text(
            "SELECT id, status FROM rc.aed_proposal WHERE id = ANY(:ids)"),
            {"ids": [mine.json["id"], about_bank.json["id"]]}).all())
        inspected = conn.execute(text(
            "SELECT battery_expires_on, pads_expire_on, last_inspected_at IS NOT NULL "
            "FROM rc.aed WHERE id = :id"), {"id": owners["clinic_aeds"][0]}).one()
        fault = conn.execute(text("SELECT status FROM rc.aed WHERE id = :id"),
                             {"id": owners["clinic_aeds"][1]}).scalar_one()
        registered = conn.execute(text(
            "SELECT o.name, a.level FROM rc.aed a JOIN rc.organisation o "
            "ON o.id = a.organisation_id WHERE a.name = 'Browser-test clinic AED'")).all()
    assert statuses == {mine.json["id"]: "accepted", about_bank.json["id"]: "pending"}
    assert [d.isoformat() for d in inspected[:2]] == ["2028-03-31", "2027-09-30"]
    assert inspected[2]
    assert fault == "fault"
    assert registered == [("Browser Clinic", "B1")]


@pytest.fixture(scope="module")
def course(engine, place) -> dict:
    """A course of two places starting in two days at the training site nearest the place
    on foot (the first the page lists)."""
    with engine.connect() as conn:
        site = conn.execute(text(
            "SELECT id FROM rc.training_site "
            "ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT 1"),
            place).scalar_one()
    start = datetime.now(UTC) + timedelta(days=2)
    with engine.begin() as conn:
        session = conn.execute(text(
            "INSERT INTO rc.training_session (training_site_id, course, starts_at, ends_at, "
            "capacity) VALUES (:s, 'Browser-test CPR and AED', :a, :b, 2) RETURNING id"),
            {"s": site, "a": start, "b": start + timedelta(hours=3)}).scalar_one()
    return {"site": site, "session": session}


def test_enrolment_until_full_and_a_volunteer_application(
        browser, base_url, engine, place, course, tmp_path_factory):
    """In a course of two places, a person enrols from the page; another takes the last place
    elsewhere while a third fills in the form: the third is told the course is full. Then a
    volunteer applies with a photo of the certificate."""
    spec = {**place, **course, "photo": photo_file(tmp_path_factory)}
    run_flow("community_training", base_url, spec)
    with engine.connect() as conn:
        enrolled = conn.execute(text(
            "SELECT name FROM rc.enrolment WHERE session_id = :s ORDER BY id"),
            {"s": course["session"]}).scalars().all()
        applied = conn.execute(text(
            "SELECT status, level, certificate_no, certificate_photo_id IS NOT NULL "
            "FROM rc.volunteer WHERE name = 'Browser-test Volunteer'")).all()
    assert enrolled == ["Browser-test Ann", "Browser-test Ben"]
    assert applied == [("pending", "junior", "SZ-2026-0042", True)]


def test_the_community_pages_and_their_assets_are_served_locally(client):
    """The pages and every script and style they load come from this server, naming no other
    host; the finder's service worker caches the modules the finder now imports."""
    for path in ("/owner", "/training", "/web/owner.js", "/web/training.js",
                 "/web/community.js", "/web/community.css", "/web/propose.js"):
        with client.get(path) as response:
            assert response.status_code == 200, path
            body = response.get_data()
        assert b"https://" not in body and b"http://" not in body, path
        if path in ("/owner", "/training"):
            assert b"/web/vendor/maplibre-gl.js" in body and b"/web/community.css" in body
    with client.get("/finder-sw.js") as response:
        worker = response.get_data()
    for module in (b"/web/community.js", b"/web/propose.js", b"/web/community.css"):
        assert module in worker
