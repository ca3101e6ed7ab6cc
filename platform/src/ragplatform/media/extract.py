"""The media service: text out of images, audio and video, and speech out of text, within limits.

Every limit comes from ``MediaSettings`` and is checked here, before any engine runs, so the routes
and the bench refuse the same files for the same reasons: over a limit is TooLarge (413), a type
that is not media or bytes that are not what they claim is UnsupportedMedia (415), a missing program
BackendUnavailable (503) naming its Debian package. Temporary files live in a directory removed
when the call ends.
"""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path

from ragplatform.errors import InvalidInput, TooLarge, UnsupportedMedia
from ragplatform.media import ffmpeg
from ragplatform.media.base import Extraction, ImageReader, MediaKind, Segment, SpeechToText, TextToSpeech
from ragplatform.media.detect import detect_media_type
from ragplatform.media.ocr_tesseract import TesseractReader
from ragplatform.media.stt_openai import OpenAITranscriber
from ragplatform.media.stt_pocketsphinx import PocketSphinxRecognizer
from ragplatform.media.tts_espeak import EspeakSpeaker
from ragplatform.media.tts_openai import OpenAISpeaker
from ragplatform.settings import MediaSettings


class MediaExtractor:
    """Reads images (OCR), audio (speech to text) and video (both), and speaks text.

    The engines default to the offline ones ``settings`` configure; pass others to replace them.
    """

    def __init__(
        self,
        settings: MediaSettings | None = None,
        *,
        reader: ImageReader | None = None,
        recognizer: SpeechToText | None = None,
        speaker: TextToSpeech | None = None,
    ) -> None:
        self.settings = s = settings or MediaSettings()
        self.reader = reader or TesseractReader(language=s.ocr_language, timeout_s=s.timeout_s)
        self.recognizer = recognizer or make_recognizer(s)
        self.speaker = speaker or make_speaker(s)

    def extract(self, filename: str, data: bytes, content_type: str | None = None) -> Extraction:
        """Whatever the file is (``detect_media_type``), its text. Raises as the methods below do."""
        self._check_size(data)
        kind = detect_media_type(filename, data, content_type).kind
        if kind == "image":
            return self.ocr_image(data)
        if kind == "audio":
            return self.transcribe_audio(data)
        return self.extract_video(data)

    def ocr_image(self, data: bytes) -> Extraction:
        """The lines of text in an image, in reading order.

        Raises TooLarge (bytes, pixels), UnsupportedMedia (not an image), BackendUnavailable.
        """
        self._check_size(data)
        self._check_pixels(data)
        segments = self.reader.read(data)
        return Extraction(_join(segments, "\n"), "image", 0.0, tuple(segments), (self.reader.name,))

    def transcribe_audio(self, data: bytes) -> Extraction:
        """What is said in an audio file of any format ffmpeg decodes.

        Raises TooLarge (bytes, seconds), UnsupportedMedia (not decodable audio), BackendUnavailable.
        """
        self._check_size(data)
        limit, setting = self.settings.max_audio_seconds, "MEDIA__MAX_AUDIO_SECONDS"
        with _scratch(data) as path:
            self._seconds(path, "audio", limit, setting)
            pcm = self._pcm(path, "audio", limit, setting)
        seconds = len(pcm) / ffmpeg.BYTES_PER_SECOND
        segments = self.recognizer.transcribe(pcm) if pcm else []
        return Extraction(_join(segments, " "), "audio", seconds, tuple(segments), (self.recognizer.name,))

    def extract_video(self, data: bytes) -> Extraction:
        """What is said in a video's audio track and written on its frames (one every
        ``video_frame_interval_s``, at most ``max_video_frames`` spread over the video), lines seen
        before left out.

        Raises TooLarge (bytes, seconds), UnsupportedMedia (not a decodable video), BackendUnavailable.
        """
        s = self.settings
        self._check_size(data)
        with _scratch(data) as path:
            seconds = self._seconds(path, "video", s.max_video_seconds, "MEDIA__MAX_VIDEO_SECONDS")
            streams = ffmpeg.stream_kinds(path, timeout_s=s.timeout_s)
            pcm = b""
            if "audio" in streams:
                pcm = self._pcm(path, "video", s.max_video_seconds, "MEDIA__MAX_VIDEO_SECONDS")
            # Frames spread over the whole video: wider apart than the setting when it is long.
            every = max(s.video_frame_interval_s, seconds / s.max_video_frames)
            frames = [] if "video" not in streams else ffmpeg.frames(
                path, path.parent, every_s=every, max_frames=s.max_video_frames, timeout_s=s.timeout_s
            )  # fmt: skip
            if not frames and not pcm:
                raise UnsupportedMedia(
                    "the video has neither an audio track nor a frame ffmpeg can read", field="file"
                )
            frame_images = [(i * every, f.read_bytes()) for i, f in enumerate(frames)]
        speech = self.recognizer.transcribe(pcm) if pcm else []
        seen: set[str] = set()
        shown: list[Segment] = []
        for at, image in frame_images:
            for line in self.reader.read(image):
                key = _normalised(line.text)
                if key and key not in seen:
                    seen.add(key)
                    shown.append(Segment(line.text, "frame", at, at, line.confidence))
        text = "\n\n".join(part for part in (_join(speech, " "), _join(shown, "\n")) if part)
        engines = ((self.recognizer.name,) if pcm else ()) + ((self.reader.name,) if frames else ())
        return Extraction(
            text, "video", seconds or len(pcm) / ffmpeg.BYTES_PER_SECOND, (*speech, *shown), engines
        )

    def speak(self, text: str) -> bytes:
        """``text`` read aloud, as WAV bytes. Raises InvalidInput (empty), TooLarge, BackendUnavailable."""
        if not text.strip():
            raise InvalidInput("there is no text to speak", field="text", value=text)
        limit = self.settings.max_speech_chars
        if len(text) > limit:
            raise TooLarge(
                f"the text to speak has {len(text)} characters; at most {limit} are spoken "
                "(MEDIA__MAX_SPEECH_CHARS)",
                field="text",
                value=len(text),
            )
        return self.speaker.speak(text)

    # -- limits -------------------------------------------------------------------------

    def _check_size(self, data: bytes) -> None:
        limit = self.settings.max_bytes
        if len(data) > limit:
            raise TooLarge(
                f"the file has {len(data)} bytes; media files may have at most {limit} (MEDIA__MAX_BYTES)",
                field="file",
                value=len(data),
            )
        if not data:
            raise UnsupportedMedia("the file is empty", field="file", value=0)

    def _check_pixels(self, data: bytes) -> None:
        """Reads the image's header only: a huge image is refused before it is decoded."""
        from PIL import Image, UnidentifiedImageError

        limit = self.settings.max_image_pixels
        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
        except Image.DecompressionBombError as exc:
            raise TooLarge(
                f"the image is too large to read: {exc}; at most {limit} pixels (MEDIA__MAX_IMAGE_PIXELS)",
                field="file",
            ) from exc
        except (UnidentifiedImageError, OSError) as exc:
            raise UnsupportedMedia(
                f"the file is not an image this server reads: {exc}", field="file"
            ) from exc
        if width * height > limit:
            raise TooLarge(
                f"the image has {width}x{height} = {width * height} pixels; at most {limit} are read "
                "(MEDIA__MAX_IMAGE_PIXELS)",
                field="file",
                value=width * height,
            )

    def _seconds(self, path: Path, kind: MediaKind, limit: float, setting: str) -> float:
        seconds = ffmpeg.probe_seconds(path, timeout_s=self.settings.timeout_s)
        if seconds is not None and seconds > limit:
            raise _too_long(kind, seconds, limit, setting)
        return seconds or 0.0

    def _pcm(self, path: Path, kind: MediaKind, limit: float, setting: str) -> bytes:
        """The audio as 16 kHz PCM, decoding at most ``limit`` + 1 s: refused when it is longer (for
        a container that does not say its duration, which ``_seconds`` checks first)."""
        pcm = ffmpeg.to_pcm(path, max_seconds=limit, timeout_s=self.settings.timeout_s)
        seconds = len(pcm) / ffmpeg.BYTES_PER_SECOND
        if seconds > limit:
            raise _too_long(kind, seconds, limit, setting, at_least=True)
        return pcm


def make_recognizer(settings: MediaSettings) -> SpeechToText:
    """The speech-to-text engine ``settings.stt_provider`` names."""
    if settings.stt_provider == "openai":
        return OpenAITranscriber(
            base_url=settings.openai_base_url,
            model=settings.openai_stt_model,
            api_key=_secret(settings),
            timeout_s=settings.timeout_s,
        )
    return PocketSphinxRecognizer(timeout_s=settings.timeout_s)


def make_speaker(settings: MediaSettings) -> TextToSpeech:
    """The speech engine ``settings.tts_provider`` names."""
    if settings.tts_provider == "openai":
        return OpenAISpeaker(
            base_url=settings.openai_base_url,
            model=settings.openai_tts_model,
            voice=settings.openai_tts_voice,
            api_key=_secret(settings),
            timeout_s=settings.timeout_s,
        )
    return EspeakSpeaker(
        voice=settings.speech_voice,
        words_per_minute=settings.speech_words_per_minute,
        timeout_s=settings.timeout_s,
    )


def _secret(settings: MediaSettings) -> str | None:
    return settings.openai_api_key.get_secret_value() if settings.openai_api_key else None


def _too_long(
    kind: MediaKind, seconds: float, limit: float, setting: str, *, at_least: bool = False
) -> TooLarge:
    length = f"more than {limit:g}" if at_least else f"{seconds:.1f}"
    return TooLarge(
        f"the {kind} lasts {length} seconds; at most {limit:g} are read ({setting})",
        field="file",
        value=seconds,
    )


class _scratch:
    """A private temporary directory holding ``data`` as one file; removed on exit."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.tmp = tempfile.TemporaryDirectory(prefix="ragplatform-media-")

    def __enter__(self) -> Path:
        path = Path(self.tmp.name) / "input"
        path.write_bytes(self.data)
        return path

    def __exit__(self, *exc: object) -> None:
        self.tmp.cleanup()


def _join(segments: list[Segment], sep: str) -> str:
    return sep.join(s.text for s in segments if s.text.strip())


def _normalised(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.lower()).strip()
