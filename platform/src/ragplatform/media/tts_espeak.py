"""Speech by Debian's espeak-ng, as WAV bytes."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ragplatform.media.programs import run


class EspeakSpeaker:
    """espeak-ng with one voice (``en-us``, ``en``, ``de``...) and speed in words per minute."""

    def __init__(
        self, *, voice: str = "en-us", words_per_minute: int = 160, timeout_s: float = 120.0
    ) -> None:
        self.voice = voice
        self.words_per_minute = words_per_minute
        self.timeout_s = timeout_s

    @property
    def name(self) -> str:
        return f"espeak-ng (voice {self.voice})"

    def speak(self, text: str) -> bytes:
        """The text read aloud as a WAV file (22.05 kHz mono). Raises BackendUnavailable when
        espeak-ng is missing or runs past the timeout."""
        with tempfile.TemporaryDirectory(prefix="ragplatform-speak-") as tmp:
            out = Path(tmp) / "speech.wav"
            # The text goes on standard input: never parsed as options, whatever it starts with.
            run(
                ["espeak-ng", "-v", self.voice, "-s", str(self.words_per_minute), "-w", str(out), "--stdin"],
                timeout_s=self.timeout_s,
                stdin=text.encode("utf-8"),
                what="speaking the text (espeak-ng)",
            )
            return out.read_bytes()
