"""API document 05, v1: ``/api/v1/auth/*`` (OIDC sign-in, cookies), ``/api/v1/chat`` with files,
``/api/v1/model`` and ``/internal/health|metrics``. Socket.IO lives in ``ragserve.realtime``."""
