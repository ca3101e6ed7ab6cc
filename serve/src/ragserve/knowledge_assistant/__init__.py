"""API document 01, the knowledge assistant: ``/``, ``/health``, ``/mongodb/*``,
``/postgres/faq|emergency|events``, ``/rag/embedding|chat|health``, ``GET /notify`` and ``WS /notify``."""
