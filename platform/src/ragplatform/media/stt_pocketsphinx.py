"""Speech to text by PocketSphinx with the US English model its wheel ships (acoustic model,
language model and dictionary inside the ``pocketsphinx`` package: nothing is downloaded)."""

from __future__ import annotations

import re
import threading
import time
from typing import TYPE_CHECKING

from ragplatform.errors import BackendUnavailable
from ragplatform.media.base import Segment

if TYPE_CHECKING:
    from pocketsphinx import Decoder

FRAMES_PER_SECOND = 100  # PocketSphinx's frame rate
_CHUNK = 32_000  # bytes decoded between two looks at the clock: 1 s of 16 kHz 16-bit audio
_FILLER = re.compile(r"^(<s>|</s>|<sil>|\[.*\]|\+\+.*\+\+)$")
_PAUSE_FRAMES = 30  # a silence this long (0.3 s) ends a segment


class PocketSphinxRecognizer:
    """One decoder, loaded on first use and used by one thread at a time (it keeps state)."""

    def __init__(self, *, timeout_s: float = 120.0) -> None:
        self.timeout_s = timeout_s
        self._decoder: Decoder | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"pocketsphinx {_version()} (the en-us model its wheel ships)"

    def transcribe(self, pcm: bytes) -> list[Segment]:
        """Raises BackendUnavailable when pocketsphinx is missing or decoding runs past the timeout."""
        deadline = time.monotonic() + self.timeout_s
        with self._lock:
            decoder = self._load()
            decoder.start_utt()
            try:
                for start in range(0, len(pcm), _CHUNK):
                    if time.monotonic() > deadline:
                        raise BackendUnavailable(
                            f"speech to text took longer than {self.timeout_s:g} s (MEDIA__TIMEOUT_S)"
                        )
                    decoder.process_raw(pcm[start : start + _CHUNK], no_search=False, full_utt=False)
            finally:
                decoder.end_utt()
            return _segments(decoder)

    def _load(self) -> Decoder:
        if self._decoder is None:
            try:
                from pocketsphinx import Decoder
            except ImportError as exc:
                raise BackendUnavailable(
                    "pocketsphinx is not installed: pip install pocketsphinx==5.1.1"
                ) from exc
            self._decoder = Decoder(logfn="/dev/null")
        return self._decoder


def _segments(decoder: Decoder) -> list[Segment]:
    """Words grouped into stretches of speech split at pauses; confidence the words' mean posterior."""
    segments: list[Segment] = []
    words: list[tuple[str, int, int, float]] = []

    def flush() -> None:
        if words:
            text = " ".join(w for w, *_ in words)
            conf = sum(p for *_, p in words) / len(words)
            start, end = words[0][1] / FRAMES_PER_SECOND, words[-1][2] / FRAMES_PER_SECOND
            segments.append(Segment(text, "speech", start, end, round(conf, 3)))
            words.clear()

    for seg in decoder.seg():
        if _FILLER.match(seg.word):
            if seg.word == "<sil>" and seg.end_frame - seg.start_frame >= _PAUSE_FRAMES:
                flush()
            continue
        words.append((re.sub(r"\(\d+\)$", "", seg.word), seg.start_frame, seg.end_frame, seg.prob))
    flush()
    return segments


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pocketsphinx")
    except PackageNotFoundError:
        return "?"
