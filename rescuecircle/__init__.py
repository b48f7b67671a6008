"""rescuecircle: the geographic core of the 5-minute rescue circle."""

__version__ = "0.1.0"
