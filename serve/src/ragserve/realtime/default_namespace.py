"""Socket.IO's default namespace ``/``: open. A client may connect anonymously; a token, when
sent, must be valid (the same rule as the open REST dialects: an expired token is refused, so the
client learns it must sign in again)."""

from __future__ import annotations

import logging
from typing import Any

from ragserve.realtime.handshake import PlatformGetter, authenticate

log = logging.getLogger(__name__)


def register_default_namespace(sio: Any, platform_getter: PlatformGetter) -> None:
    """``/``: anonymous connections allowed; the signed-in user, if any, is kept in the session."""

    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        user = await authenticate(platform_getter(), environ, auth, required=False)
        await sio.save_session(sid, {"user": user}, namespace="/")

    async def disconnect(sid: str, reason: Any = None) -> None:
        log.debug("socket.io client %s left / (%s)", sid, reason)

    sio.on("connect", handler=connect, namespace="/")
    sio.on("disconnect", handler=disconnect, namespace="/")
