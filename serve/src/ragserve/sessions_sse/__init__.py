"""API document 03, sessions and Server-Sent Events: ``/sessions`` CRUD, ``POST /sessions/{id}/ask``
and ``POST /ask`` (answers streamed as SSE)."""
