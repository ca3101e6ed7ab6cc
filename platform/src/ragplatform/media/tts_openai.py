"""Speech by an OpenAI-compatible ``/v1/audio/speech`` endpoint, asked for WAV."""

from __future__ import annotations

from ragplatform.errors import BackendUnavailable
from ragplatform.media.remote import post


class OpenAISpeaker:
    def __init__(
        self, *, base_url: str, model: str, voice: str, api_key: str | None = None, timeout_s: float = 120.0
    ) -> None:
        self.url = base_url.rstrip("/") + "/audio/speech"
        self.model = model
        self.voice = voice
        self.api_key = api_key
        self.timeout_s = timeout_s

    @property
    def name(self) -> str:
        return f"OpenAI-compatible speech at {self.url} (model {self.model}, voice {self.voice})"

    def speak(self, text: str) -> bytes:
        """Raises BackendUnavailable when the endpoint cannot answer or does not send a WAV."""
        response = post(
            "the speech endpoint",
            self.url,
            api_key=self.api_key,
            timeout_s=self.timeout_s,
            json={"model": self.model, "input": text, "voice": self.voice, "response_format": "wav"},
        )
        if not response.content.startswith(b"RIFF"):
            raise BackendUnavailable(f"the speech endpoint at {self.url} did not send a WAV file")
        return response.content
