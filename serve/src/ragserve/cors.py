"""Which origins may call the API from a browser (also the Socket.IO WebSocket ``Origin`` check)."""

from __future__ import annotations

from ragplatform.settings import Settings


def cors_origins(settings: Settings) -> list[str]:
    """Configured origins; open in development when none are configured, closed otherwise."""
    if settings.serve.cors_origins:
        return settings.serve.cors_origins
    return ["*"] if settings.environment == "development" else []
