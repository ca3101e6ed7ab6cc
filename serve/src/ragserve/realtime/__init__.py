"""Socket.IO on ``/socket.io`` (API 05): the handshake, the open default namespace and the
``/assistant/realtime`` rooms. ``ragserve.realtime.server.install`` mounts it."""
