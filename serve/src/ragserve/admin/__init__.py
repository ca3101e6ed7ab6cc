"""The admin console's own API (no API document): ``/api/admin/indexes`` (versions, builds, promotion),
``/api/admin/overview|sessions|unanswered|metrics|documents|playground``."""
