"""Revision scripts, applied in order by ``ragplatform.db.migrate.upgrade``."""
