"""Per-user notifications (API 02): stored in PostgreSQL, pushed to listeners through hooks."""
