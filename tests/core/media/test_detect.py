"""Media types by extension and bytes together; refusals are 415s naming what is accepted."""

from __future__ import annotations

import pytest

from media_makers import rendered_png
from ragplatform.errors import UnsupportedMedia
from ragplatform.media.detect import MediaType, detect_media_type, is_media

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 40
MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 32
M4A = b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00" + b"\x00" * 32
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 32
WEBM = b"\x1a\x45\xdf\xa3" + b"\x00" * 40


@pytest.mark.parametrize(
    ("name", "data", "content_type", "expected"),
    [
        ("scan.png", rendered_png("Hello"), None, MediaType("image", ".png", "image/png")),
        ("SCAN.PNG", rendered_png("Hello"), "text/plain", MediaType("image", ".png", "image/png")),
        ("voice.wav", WAV, None, MediaType("audio", ".wav", "audio/wav")),
        ("voice.mp3", MP3, "audio/mpeg", MediaType("audio", ".mp3", "audio/mpeg")),
        ("voice.m4a", M4A, None, MediaType("audio", ".m4a", "audio/mp4")),
        ("clip.mp4", MP4, None, MediaType("video", ".mp4", "video/mp4")),
        ("clip.webm", WEBM, None, MediaType("video", ".webm", "video/webm")),
        ("blob", WAV, "audio/x-wav", MediaType("audio", ".wav", "audio/wav")),
        ("blob", MP4, None, MediaType("video", ".mp4", "video/mp4")),
    ],
)
def test_media_is_known_by_name_and_bytes(
    name: str, data: bytes, content_type: str | None, expected: MediaType
) -> None:
    assert detect_media_type(name, data, content_type) == expected


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        ("notes.txt", b"plain text", "'.txt' are not images, audio or video"),
        ("photo.png", WAV, "named or declared as .png (image) but its content is not one"),
        ("voice.wav", b"not audio at all", "named or declared as .wav (audio)"),
        ("blob", b"\x00\x01\x02 unknown", "not an image, audio or video format"),
        ("clip.mp4", b"MZ\x90\x00\x03\x00\x00\x00", "a Windows program"),
    ],
)
def test_other_files_are_refused_with_what_is_accepted(name: str, data: bytes, why: str) -> None:
    with pytest.raises(UnsupportedMedia) as refused:
        detect_media_type(name, data)
    assert why in refused.value.message
    assert ".png" in refused.value.message and ".mp4" in refused.value.message
    assert refused.value.field == "file"


def test_is_media_tells_media_from_documents() -> None:
    assert is_media("a.JPG") and is_media("b.ogg") and is_media("blob", "video/mp4; codecs=avc1")
    assert not is_media("report.pdf") and not is_media("blob", "application/pdf")
