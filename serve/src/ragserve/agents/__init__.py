"""API document 02: agents, workflows, realtime channels, notifications, analytics, leads and payments.

One module per part of the document (``notifications.py``: the REST notifications;
``channels.py``: the WebSocket channels; ``events.py``: the server events they carry;
``invoke.py``: the agents), all sharing ``schemas.py``. Every route calls one ``ragplatform`` service.
"""
