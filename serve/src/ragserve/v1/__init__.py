"""API document 05, v1: ``/api/v1/auth/*`` (OIDC sign-in, cookies), ``/api/v1/chat`` with files,
``/api/v1/model``, ``/api/v1/aisuite/chat`` and ``/internal/health|metrics``. Socket.IO lives in
``ragserve.realtime``.

Not served yet: the rest of the document's AI execution part (``/api/v1/run``, ``/api/v1/run/audio``,
``/api/v1/prompt_compiler/*``) comes with a later issue.
The document's ``BASE_PATH`` setting is the ASGI root path here: behind a proxy that serves the API
under a prefix, start it with ``uvicorn --root-path /prefix``.
"""
