"""What an extraction returns, and the Protocols the media engines implement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

MediaKind = Literal["image", "audio", "video"]
SegmentSource = Literal["image", "speech", "frame"]


@dataclass(frozen=True)
class Segment:
    """One piece of what was read: a line of an image or a frame, or a stretch of speech.

    ``start_s``/``end_s`` place it in the media (0 for an image); ``confidence`` is the engine's
    own, from 0 to 1, or None where it gives none."""

    text: str
    source: SegmentSource
    start_s: float = 0.0
    end_s: float = 0.0
    confidence: float | None = None


@dataclass(frozen=True)
class Extraction:
    """The text read from one file, so a person can see what the assistant read.

    ``seconds`` is the media's duration (0 for an image); ``engines`` names the library and model
    of each step (``"tesseract 5.3.0 (eng) via pytesseract"``)."""

    text: str
    kind: MediaKind
    seconds: float
    segments: tuple[Segment, ...] = ()
    engines: tuple[str, ...] = ()


class ImageReader(Protocol):
    """OCR: the lines of text in an image (PNG bytes or any format Pillow opens)."""

    @property
    def name(self) -> str: ...
    def read(self, image: bytes) -> list[Segment]: ...


class SpeechToText(Protocol):
    """Speech to text over 16 kHz mono 16-bit PCM (little endian, no header)."""

    @property
    def name(self) -> str: ...
    def transcribe(self, pcm: bytes) -> list[Segment]: ...


class TextToSpeech(Protocol):
    """Speech for a text, as WAV bytes."""

    @property
    def name(self) -> str: ...
    def speak(self, text: str) -> bytes: ...
