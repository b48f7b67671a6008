"""Routing algorithms: pure Python over in-memory graphs; no Flask, no database driver."""
