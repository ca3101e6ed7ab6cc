"""POSTs to an OpenAI-compatible audio endpoint (``/v1/audio/transcriptions``, ``/v1/audio/speech``),
its failures translated as the remote generators' are (``generation.httpstream``): anything that
stops the provider from answering is BackendUnavailable, with the status and the provider's text."""

from __future__ import annotations

from typing import Any

import httpx

from ragplatform.errors import BackendUnavailable
from ragplatform.generation.httpstream import make_client, status_error


def post(provider: str, url: str, *, api_key: str | None, timeout_s: float, **request: Any) -> httpx.Response:
    """The 2xx response to a POST of ``request`` (httpx's ``json=``, ``data=``, ``files=``).

    Raises BackendUnavailable: unreachable, timed out, or a non-2xx status.
    """
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        with make_client(timeout_s) as client:
            response = client.post(url, headers=headers, **request)
    except httpx.TimeoutException as exc:
        raise BackendUnavailable(f"{provider} at {url} timed out") from exc
    except httpx.HTTPError as exc:
        raise BackendUnavailable(f"{provider} at {url} cannot be reached") from exc
    if response.status_code >= 300:
        raise status_error(provider, url, response.status_code, response.content)
    return response
