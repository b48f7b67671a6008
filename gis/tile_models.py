"""geoalchemy2 models of the vector tile layer tables (migration 0016), beside ``gis/models.py``.

``gis/models.py`` imports this module, so ``Base.metadata`` holds these tables with the rest of
schema ``rc``; they live apart only to keep that module short. The rows are read through
``rc.tile_catalogue()`` (``gis/tiles.py``); these classes mirror the columns, like the others.
"""

from sqlalchemy import Boolean, ForeignKey, Integer, SmallInteger, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from gis.models import Base


class TileLayer(Base):
    """A vector tile layer, made by rc.tile(name, z, x, y); public ones at /tiles/{name}."""

    __tablename__ = "tile_layer"
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean)
    max_age_s: Mapped[int] = mapped_column(Integer)


class TileVectorLayer(Base):
    """One MVT layer of a tile layer: its source table or view, properties and zoom rules."""

    __tablename__ = "tile_vector_layer"
    tile_layer: Mapped[str] = mapped_column(Text, ForeignKey("rc.tile_layer.name"),
                                            primary_key=True)
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    description: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    geom_column: Mapped[str] = mapped_column(Text)
    id_column: Mapped[str | None] = mapped_column(Text)
    properties: Mapped[list[str]] = mapped_column(ARRAY(Text))
    minzoom: Mapped[int] = mapped_column(SmallInteger)
    minzoom_column: Mapped[str | None] = mapped_column(Text)
    order_column: Mapped[str | None] = mapped_column(Text)
    buffer: Mapped[int] = mapped_column(SmallInteger)
    simplify_maxzoom: Mapped[int | None] = mapped_column(SmallInteger)
    keep_collapsed: Mapped[bool] = mapped_column(Boolean)
    cells_below: Mapped[int | None] = mapped_column(SmallInteger)
    cell_properties: Mapped[list[str]] = mapped_column(ARRAY(Text))
