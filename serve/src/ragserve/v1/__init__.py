"""API document 05, v1: ``/api/v1/auth/*`` (OIDC sign-in, cookies), ``/api/v1/chat`` with files,
``/api/v1/model``, ``/api/v1/aisuite/chat``, ``/api/v1/prompt_compiler/*`` and
``/internal/health|metrics``. Socket.IO lives in ``ragserve.realtime``.

Not served yet: ``/api/v1/run`` and ``/api/v1/run/audio`` (issue 11; the media core they will call is
``ragplatform.media``).
The document's ``BASE_PATH`` setting is the ASGI root path here: behind a proxy that serves the API
under a prefix, start it with ``uvicorn --root-path /prefix``.
"""
