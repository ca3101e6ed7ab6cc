"""Generator for the Hugging Face Inference API: the router's OpenAI-compatible chat completions.

``https://router.huggingface.co/v1/chat/completions`` takes the OpenAI request
(``model``, ``messages``, ``stream``, ...) with a Hugging Face token as the bearer
key and streams OpenAI's server-sent events, so the wire format is
``OpenAICompatGenerator``'s; this class adds the router's address, a required
token, and its own provider name for logs, stats and the fallback chain.
"""

from __future__ import annotations

import httpx

from ragplatform.generation.openai_compat import OpenAICompatGenerator
from ragplatform.generation.prompt import DEFAULT_CONTEXT_CHARS

ROUTER_URL = "https://router.huggingface.co/v1"
DEFAULT_MODEL = "meta-llama/Llama-3.1-8B-Instruct"


class HuggingFaceGenerator(OpenAICompatGenerator):
    """Streams answers from Hugging Face's router (``base_url`` includes ``/v1``).

    ``model`` is a Hub model id, optionally with a provider suffix
    (``meta-llama/Llama-3.1-8B-Instruct:cerebras``) to pin one inference provider.
    """

    name = "huggingface"

    def __init__(
        self,
        api_key: str,
        model: str = DEFAULT_MODEL,
        timeout: float = 60.0,
        *,
        base_url: str = ROUTER_URL,
        context_chars: int = DEFAULT_CONTEXT_CHARS,
        client: httpx.Client | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("api_key must be a Hugging Face token (the router refuses calls without one)")
        super().__init__(base_url, api_key, model, timeout, context_chars=context_chars, client=client)
