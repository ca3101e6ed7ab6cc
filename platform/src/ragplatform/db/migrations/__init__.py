"""Alembic migrations of the platform schema (script_location of :mod:`ragplatform.db.migrate`)."""
