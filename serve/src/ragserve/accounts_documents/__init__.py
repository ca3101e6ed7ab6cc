"""API document 04, accounts, documents and metrics: ``/api/login``, ``/api/signup``, ``WS /api/chat``,
``/api/upload``, ``/api/documents``, ``/api/metrics``, ``/api/session_id`` and ``GET /api/``."""
