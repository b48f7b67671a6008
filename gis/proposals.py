"""AED proposals from the public and their photos: stored pending, decided by a moderator,
and applied to the registry in the transaction that accepts them."""

from typing import Any

from sqlalchemy import Engine, text

from gis.aed_registry import insert_aed, sync_opening_hours
from gis.db import jsonb_text
from gis.photos import store_photo
from rescuecircle.errors import Conflict, Forbidden, NotFound


def store_proposal(engine: Engine, *, kind: str, aed_id: int | None, fields: dict[str, Any],
                   lonlat: tuple[float, float] | None, photo: tuple[bytes, str] | None,
                   note: str | None) -> int:
    """A pending proposal (and its photo); its id. NotFound for an unknown AED."""
    with engine.begin() as conn:
        if aed_id is not None and conn.execute(text(
                "SELECT 1 FROM rc.aed WHERE id = :id"), {"id": aed_id}).first() is None:
            raise NotFound(f"AED {aed_id} does not exist")
        photo_id = None if photo is None else store_photo(conn, photo)
        return int(conn.execute(text(
            "INSERT INTO rc.aed_proposal (kind, aed_id, fields, photo_id, note, geom) VALUES "
            "(:kind, :aed, CAST(:fields AS jsonb), :photo, :note, "
            "ST_SetSRID(ST_MakePoint(CAST(:lon AS double precision), "
            "CAST(:lat AS double precision)), 4326)) RETURNING id"),
            {"kind": kind, "aed": aed_id, "fields": jsonb_text(fields), "photo": photo_id,
             "note": note, "lon": lonlat[0] if lonlat else None,
             "lat": lonlat[1] if lonlat else None}).scalar_one())


def pending(engine: Engine, organisation_id: int | None) -> list[dict[str, Any]]:
    """Pending proposals, oldest first: all of them, or those about one organisation's AEDs."""
    owned = "AND d.organisation_id = :org" if organisation_id is not None else ""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT p.id, p.kind, p.aed_id, p.fields, p.photo_id, p.note, p.created_at, "
            "ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat FROM rc.aed_proposal p "
            "LEFT JOIN rc.aed d ON d.id = p.aed_id "
            f"WHERE p.status = 'pending' {owned} ORDER BY p.created_at"),
            {"org": organisation_id}).all()
    return [dict(r._mapping) for r in rows]


def decide(engine: Engine, proposal_id: int, *, accept: bool, reason: str | None, actor: str,
           organisation_id: int | None) -> dict[str, Any]:
    """Accept (and apply) or reject a pending proposal. An owner (``organisation_id``) decides
    only proposals about its own AEDs."""
    with engine.begin() as conn:
        row = conn.execute(text(
            "SELECT p.id, p.kind, p.aed_id, p.fields, p.photo_id, p.status, "
            "ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat, d.organisation_id "
            "FROM rc.aed_proposal p LEFT JOIN rc.aed d ON d.id = p.aed_id "
            "WHERE p.id = :id FOR UPDATE OF p"), {"id": proposal_id}).first()
        if row is None:
            raise NotFound(f"proposal {proposal_id} does not exist")
        if organisation_id is not None and row.organisation_id != organisation_id:
            raise Forbidden(f"proposal {proposal_id} is not about one of your AEDs")
        if row.status != "pending":
            raise Conflict(f"proposal {proposal_id} was already {row.status}")
        aed_id = row.aed_id
        if accept:
            conn.execute(text("SELECT rc._set_change_context(:a, :r)"),
                         {"a": actor, "r": f"proposal {proposal_id}"})
            aed_id = _apply(conn, row, proposal_id)
        conn.execute(text(
            "UPDATE rc.aed_proposal SET status = :s, reason = :r, decided_at = now(), "
            "decided_by = :by, aed_id = coalesce(aed_id, :aed) WHERE id = :id"),
            {"s": "accepted" if accept else "rejected", "r": reason, "by": actor,
             "aed": aed_id, "id": proposal_id})
    return {"id": proposal_id, "status": "accepted" if accept else "rejected", "aed_id": aed_id}


def _apply(conn: Any, row: Any, proposal_id: int) -> int | None:
    """Put an accepted proposal into the registry; the AED it made or changed."""
    photo = {"photo_ref": f"/api/photos/{row.photo_id}"} if row.photo_id else {}
    if row.kind == "new":
        return insert_aed(conn, {**row.fields, **photo}, lonlat=(row.lon, row.lat),
                          organisation_id=None, source=f"proposal:{proposal_id}")
    if row.kind == "moved":
        conn.execute(text("UPDATE rc.aed SET geom = ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), "
                          "updated_at = now() WHERE id = :id"),
                     {"lon": row.lon, "lat": row.lat, "id": row.aed_id})
    elif row.kind == "gone":
        conn.execute(text("SELECT rc.aed_set_status(:id, 'missing', :r, current_setting("
                          "'rc.actor', true))"),
                     {"id": row.aed_id, "r": f"reported gone (proposal {proposal_id})"})
    elif row.kind == "wrong_hours":
        conn.execute(text("UPDATE rc.aed SET opening_hours = :h, updated_at = now() "
                          "WHERE id = :id"),
                     {"h": row.fields.get("opening_hours"), "id": row.aed_id})
        sync_opening_hours(conn)
    if photo and row.aed_id is not None:
        conn.execute(text("UPDATE rc.aed SET photo_ref = :p WHERE id = :id"),
                     {"p": photo["photo_ref"], "id": row.aed_id})
    return row.aed_id


def public_photo(engine: Engine, photo_id: int) -> tuple[bytes, str]:
    """A photo of an accepted proposal; NotFound for any other (pending, rejected, unknown)."""
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT f.bytes, f.media_type FROM rc.photo f WHERE f.id = :id AND EXISTS ("
            "SELECT 1 FROM rc.aed_proposal p WHERE p.photo_id = f.id "
            "AND p.status = 'accepted')"), {"id": photo_id}).first()
    if row is None:
        raise NotFound(f"photo {photo_id} does not exist")
    return bytes(row.bytes), str(row.media_type)


def moderator_photo(engine: Engine, proposal_id: int, organisation_id: int | None
                    ) -> tuple[bytes, str]:
    """The photo sent with a proposal, for the one who decides it: an admin
    (``organisation_id`` None) or the owner of the AED it is about (Forbidden for others);
    NotFound when the proposal or its photo does not exist."""
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT f.bytes, f.media_type, d.organisation_id FROM rc.aed_proposal p "
            "LEFT JOIN rc.photo f ON f.id = p.photo_id LEFT JOIN rc.aed d ON d.id = p.aed_id "
            "WHERE p.id = :id"), {"id": proposal_id}).first()
    if row is None:
        raise NotFound(f"proposal {proposal_id} does not exist")
    if organisation_id is not None and row.organisation_id != organisation_id:
        raise Forbidden(f"proposal {proposal_id} is not about one of your AEDs")
    if row.bytes is None:
        raise NotFound(f"proposal {proposal_id} came without a photo")
    return bytes(row.bytes), str(row.media_type)
