"""Speech to text by an OpenAI-compatible ``/v1/audio/transcriptions`` endpoint (OpenAI, a
Whisper server such as faster-whisper-server or LocalAI, vLLM)."""

from __future__ import annotations

import io
import wave

from ragplatform.errors import BackendUnavailable
from ragplatform.media.base import Segment
from ragplatform.media.ffmpeg import SAMPLE_RATE
from ragplatform.media.remote import post


class OpenAITranscriber:
    """Sends the audio as a 16 kHz WAV; asks for ``verbose_json`` to keep the provider's segments."""

    def __init__(
        self, *, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 120.0
    ) -> None:
        self.url = base_url.rstrip("/") + "/audio/transcriptions"
        self.model = model
        self.api_key = api_key
        self.timeout_s = timeout_s

    @property
    def name(self) -> str:
        return f"OpenAI-compatible transcriptions at {self.url} (model {self.model})"

    def transcribe(self, pcm: bytes) -> list[Segment]:
        """Raises BackendUnavailable when the endpoint cannot answer or answers unreadably."""
        response = post(
            "the transcription endpoint",
            self.url,
            api_key=self.api_key,
            timeout_s=self.timeout_s,
            data={"model": self.model, "response_format": "verbose_json"},
            files={"file": ("audio.wav", _wav(pcm), "audio/wav")},
        )
        try:
            body = response.json()
            parts = body.get("segments") or [{"text": body["text"], "start": 0.0, "end": 0.0}]
            return [
                Segment(str(p["text"]).strip(), "speech", float(p.get("start", 0)), float(p.get("end", 0)))
                for p in parts
                if str(p["text"]).strip()
            ]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackendUnavailable(
                f"the transcription endpoint at {self.url} sent an unreadable answer"
            ) from exc


def _wav(pcm: bytes) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(SAMPLE_RATE)
        sound.writeframes(pcm)
    return out.getvalue()
