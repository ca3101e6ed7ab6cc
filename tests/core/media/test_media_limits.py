"""Limits refused before any engine works (413 naming the setting), files that are not what they
claim (415), and a missing program (503 naming its Debian package); no temporary file is left."""

from __future__ import annotations

import io
import tempfile
import wave
from pathlib import Path

import pytest

from media_makers import rendered_png
from ragplatform.errors import BackendUnavailable, InvalidInput, TooLarge, UnsupportedMedia
from ragplatform.media.extract import MediaExtractor
from ragplatform.settings import MediaSettings


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the extractor's temporary files go, to see that none is left behind."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def test_audio_longer_than_the_limit_is_refused(programs: None, wav: bytes, scratch: Path) -> None:
    strict = MediaExtractor(MediaSettings(max_audio_seconds=1.5))
    with pytest.raises(TooLarge) as refused:
        strict.transcribe_audio(wav)
    assert "at most 1.5 are read (MEDIA__MAX_AUDIO_SECONDS)" in refused.value.message
    assert list(scratch.iterdir()) == []


def test_video_longer_than_the_limit_is_refused(programs: None, mp4: bytes, scratch: Path) -> None:
    strict = MediaExtractor(MediaSettings(max_video_seconds=1))
    with pytest.raises(TooLarge, match=r"the video lasts \d+\.\d seconds; at most 1 are read"):
        strict.extract("clip.mp4", mp4)
    assert list(scratch.iterdir()) == []


def test_image_with_too_many_pixels_is_refused_before_decoding() -> None:
    strict = MediaExtractor(MediaSettings(max_image_pixels=10_000))
    with pytest.raises(TooLarge, match=r"the image has 1600x\d+ = \d+ pixels; at most 10000 are read"):
        strict.ocr_image(rendered_png("A sentence to read."))


def test_files_over_the_byte_limit_are_refused() -> None:
    strict = MediaExtractor(MediaSettings(max_bytes=100))
    with pytest.raises(TooLarge, match=r"at most 100 \(MEDIA__MAX_BYTES\)") as refused:
        strict.extract("voice.wav", b"RIFF" + b"\x00" * 200)
    assert refused.value.value == 204


@pytest.mark.parametrize("call", ["ocr_image", "transcribe_audio", "extract_video"])
def test_bytes_that_are_not_media_are_refused(programs: None, call: str, scratch: Path) -> None:
    with pytest.raises(UnsupportedMedia):
        getattr(MediaExtractor(), call)(b"this is not an image, a sound or a film" * 10)
    assert list(scratch.iterdir()) == []


def test_a_wrong_type_is_refused_as_unsupported_media() -> None:
    with pytest.raises(UnsupportedMedia, match=r"'notes\.txt' is refused"):
        MediaExtractor().extract("notes.txt", b"some text")


def test_speech_of_nothing_or_too_much_is_refused() -> None:
    extractor = MediaExtractor(MediaSettings(max_speech_chars=20))
    with pytest.raises(InvalidInput, match="no text to speak"):
        extractor.speak("  ")
    with pytest.raises(
        TooLarge, match=r"has 27 characters; at most 20 are spoken \(MEDIA__MAX_SPEECH_CHARS\)"
    ):
        extractor.speak("This sentence is too long.!")


@pytest.mark.parametrize(
    ("call", "package"),
    [("transcribe_audio", "'ffmpeg'"), ("ocr_image", "'tesseract-ocr'"), ("speak", "'espeak-ng'")],
)
def test_a_missing_program_names_its_debian_package(
    call: str, package: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    arg: object = {"transcribe_audio": silence_wav(), "ocr_image": rendered_png("Hi"), "speak": "Hello."}[
        call
    ]
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackendUnavailable, match=f"install the Debian package {package}"):
        getattr(MediaExtractor(), call)(arg)


def silence_wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(16_000)
        sound.writeframes(b"\x00\x00" * 16_000)
    return out.getvalue()
