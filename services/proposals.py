"""The public proposes AEDs and changes to them ("moved", "gone", "wrong hours") with a photo;
moderators (admins, or the owner of the AED concerned) accept or reject them with a reason.
An accepted proposal enters the registry with its source; a rejected one never shows."""

from typing import Any

from formats.photos import clean_photo
from gis import proposals
from rescuecircle.errors import InvalidInput
from services import params
from services.context import Context

KINDS = ("new", "moved", "gone", "wrong_hours", "other")
NEW_FIELDS = ("name", "location_text", "level", "opening_hours", "access", "address")
TEXT_LIMIT = 500


def propose(context: Context, form: dict[str, str], photo: bytes | None) -> dict[str, Any]:
    """``kind`` (new, moved, gone, wrong_hours, other), ``aed_id`` (not for new), ``lon`` and
    ``lat`` in ``crs`` (new, moved), the new AED's fields, ``note``, and an optional photo."""
    kind = form.get("kind", "new")
    if kind not in KINDS:
        raise InvalidInput(f"kind {kind!r} is unknown; use one of {', '.join(KINDS)}")
    aed_id = None
    if kind != "new":
        raw = form.get("aed_id", "")
        if not raw.isdigit():
            raise InvalidInput(f"aed_id is required for a proposal of kind {kind}: the AED's id")
        aed_id = int(raw)
    lonlat = None
    if kind in ("new", "moved") or form.get("lon") or form.get("lat"):
        lonlat = params.to_wgs84(
            params.number(form.get("lon"), "lon", low=-180, high=180),
            params.number(form.get("lat"), "lat", low=-90, high=90), params.crs(form.get("crs")))
    fields = {name: _text(form, name) for name in NEW_FIELDS if form.get(name)}
    if kind == "new" and not fields.get("name"):
        raise InvalidInput("name is required for a new AED: what it is called where it hangs")
    if kind == "wrong_hours" and not fields.get("opening_hours"):
        raise InvalidInput("opening_hours is required for kind wrong_hours: the right hours, "
                           "e.g. Mo-Fr 08:00-18:00")
    if kind != "new":
        fields = {k: v for k, v in fields.items() if k == "opening_hours"}
    cleaned = None if photo is None else clean_photo(photo)
    proposal_id = proposals.store_proposal(
        context.engine, kind=kind, aed_id=aed_id, fields=fields, lonlat=lonlat,
        photo=cleaned, note=_text(form, "note"))
    return {"id": proposal_id, "status": "pending"}


def queue(context: Context, organisation_id: int | None) -> list[dict[str, Any]]:
    """The pending proposals a moderator may decide."""
    return proposals.pending(context.engine, organisation_id)


def decide(context: Context, proposal_id: int, body: dict[str, Any], *, accept: bool,
           actor: str, organisation_id: int | None) -> dict[str, Any]:
    """Accept or reject (``{"reason"}``, required to reject) a pending proposal."""
    reason = body.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > TEXT_LIMIT):
        raise InvalidInput(f"reason must be a text of at most {TEXT_LIMIT} characters")
    if not accept and not reason:
        raise InvalidInput("reason is required to reject a proposal: the proposer is told why")
    return proposals.decide(context.engine, proposal_id, accept=accept, reason=reason,
                            actor=actor, organisation_id=organisation_id)


def photo(context: Context, photo_id: int) -> tuple[bytes, str]:
    """A published photo (of an accepted proposal) and its media type."""
    return proposals.public_photo(context.engine, photo_id)


def moderator_photo(context: Context, proposal_id: int, organisation_id: int | None
                    ) -> tuple[bytes, str]:
    """The photo sent with a proposal (pending ones included), for its moderator only: the
    public sees a photo only once its proposal is accepted."""
    return proposals.moderator_photo(context.engine, proposal_id, organisation_id)


def _text(form: dict[str, str], name: str) -> str | None:
    value = (form.get(name) or "").strip()
    if len(value) > TEXT_LIMIT:
        raise InvalidInput(f"{name} must be at most {TEXT_LIMIT} characters")
    return value or None
