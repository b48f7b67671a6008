"""Photos in the database (already stripped of metadata by formats.photos)."""

from sqlalchemy import Connection, text


def store_photo(conn: Connection, photo: tuple[bytes, str]) -> int:
    """Store ``(bytes, media type)`` in the caller's transaction; its id."""
    return int(conn.execute(text(
        "INSERT INTO rc.photo (bytes, media_type) VALUES (:b, :t) RETURNING id"),
        {"b": photo[0], "t": photo[1]}).scalar_one())
