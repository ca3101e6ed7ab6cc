"""Media made once per session from a demo-corpus sentence, and one extractor reused by every test
(PocketSphinx's model loads once). Tests that need Debian's programs skip, with the reason, only
where they are missing (`make media` installs them as root)."""

from __future__ import annotations

import shutil

import pytest

from media_makers import demo_sentence, muxed_mp4, rendered_png, spoken_wav
from ragplatform.media.extract import MediaExtractor

PROGRAMS = {"tesseract": "tesseract-ocr", "espeak-ng": "espeak-ng", "ffmpeg": "ffmpeg", "ffprobe": "ffmpeg"}


@pytest.fixture(scope="session")
def programs() -> None:
    missing = sorted({pkg for prog, pkg in PROGRAMS.items() if shutil.which(prog) is None})
    if missing:
        pytest.skip(f"Debian packages missing (root's `make media` installs them): {', '.join(missing)}")


@pytest.fixture(scope="session")
def extractor(programs: None) -> MediaExtractor:
    return MediaExtractor()


@pytest.fixture(scope="session")
def sentence() -> str:
    return demo_sentence("oxygen")


@pytest.fixture(scope="session")
def wav(programs: None, sentence: str) -> bytes:
    return spoken_wav(sentence)


@pytest.fixture(scope="session")
def png(sentence: str) -> bytes:
    return rendered_png(sentence)


@pytest.fixture(scope="session")
def mp4(programs: None, wav: bytes, png: bytes) -> bytes:
    return muxed_mp4(wav, png)
