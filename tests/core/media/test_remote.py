"""The OpenAI-compatible engines against a local server standing in for the provider at the
network boundary: what is sent, what comes back, and failures as BackendUnavailable (503)."""

from __future__ import annotations

import io
import json
import threading
import wave
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from pydantic import SecretStr

from ragplatform.errors import BackendUnavailable
from ragplatform.media.extract import MediaExtractor
from ragplatform.settings import MediaSettings

KEY = "sk-test-media"


def silence(seconds: float) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(24_000)
        sound.writeframes(b"\x00\x00" * int(24_000 * seconds))
    return out.getvalue()


class Provider(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, bytes, str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, body, self.headers.get("Content-Type", "")))
        if self.headers.get("Authorization") != f"Bearer {KEY}":
            self._send(401, b'{"error": {"message": "Incorrect API key provided"}}', "application/json")
        elif self.path == "/v1/audio/transcriptions":
            segments = [{"start": 0.0, "end": 2.1, "text": " Oxygen is a chemical element"},
                        {"start": 2.1, "end": 4.0, "text": " with symbol O."}]  # fmt: skip
            answer = {"text": "Oxygen is a chemical element with symbol O.", "segments": segments}
            self._send(200, json.dumps(answer).encode(), "application/json")
        elif self.path == "/v1/audio/speech":
            self._send(200, silence(1.5), "audio/wav")
        else:
            self._send(404, b'{"error": "no such route"}', "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def provider_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def remote(url: str, key: str = KEY) -> MediaExtractor:
    return MediaExtractor(
        MediaSettings(
            stt_provider="openai", tts_provider="openai", openai_base_url=url, openai_api_key=SecretStr(key)
        )
    )


def test_transcription_posts_a_wav_and_keeps_the_providers_segments(
    programs: None, provider_url: str, wav: bytes
) -> None:
    Provider.received.clear()
    result = remote(provider_url).transcribe_audio(wav)
    assert result.text == "Oxygen is a chemical element with symbol O."
    assert [(s.start_s, s.end_s) for s in result.segments] == [(0.0, 2.1), (2.1, 4.0)]
    assert result.engines == (
        f"OpenAI-compatible transcriptions at {provider_url}/audio/transcriptions (model whisper-1)",
    )
    path, body, content_type = Provider.received[0]
    assert path == "/v1/audio/transcriptions" and content_type.startswith("multipart/form-data")
    assert b'name="model"\r\n\r\nwhisper-1' in body and b"RIFF" in body and b"WAVE" in body


def test_speech_comes_back_as_the_providers_wav(provider_url: str) -> None:
    Provider.received.clear()
    audio = remote(provider_url).speak("Hello there.")
    with wave.open(io.BytesIO(audio)) as played:
        assert played.getnframes() == 36_000
    request = json.loads(Provider.received[0][1])
    assert request == {"model": "tts-1", "input": "Hello there.", "voice": "alloy", "response_format": "wav"}


def test_a_rejected_key_is_backend_unavailable_with_the_providers_words(provider_url: str) -> None:
    with pytest.raises(BackendUnavailable, match=r"rejected the credentials.*HTTP 401.*Incorrect API key"):
        remote(provider_url, key="wrong").speak("Hello.")


def test_an_unreachable_provider_is_backend_unavailable() -> None:
    with pytest.raises(BackendUnavailable, match="cannot be reached"):
        remote("http://127.0.0.1:9/v1").speak("Hello.")
