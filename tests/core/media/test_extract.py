"""Text read from real media the tests made: speech (espeak-ng) → pocketsphinx, a rendered PNG →
tesseract, an MP4 of both → both, and speech made from text."""

from __future__ import annotations

import io
import re
import wave

import jiwer
import pytest

from media_makers import silent_mp4
from ragplatform.media.extract import MediaExtractor
from ragplatform.settings import MediaSettings


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def test_speech_is_transcribed_with_its_key_words(
    extractor: MediaExtractor, wav: bytes, sentence: str
) -> None:
    result = extractor.transcribe_audio(wav)
    assert result.kind == "audio"
    assert 2.0 < result.seconds < 10.0
    assert words(result.text) & {"oxygen", "chemical", "element", "symbol", "atomic", "number"}
    assert result.segments and all(0 <= s.start_s <= s.end_s <= result.seconds + 0.1 for s in result.segments)
    assert result.engines[0].startswith("pocketsphinx")


def test_rendered_text_is_read_with_few_character_errors(
    extractor: MediaExtractor, png: bytes, sentence: str
) -> None:
    result = extractor.ocr_image(png)
    assert result.kind == "image" and result.seconds == 0.0
    assert jiwer.cer(sentence, result.text.replace("\n", " ")) < 0.05, result.text
    assert all(s.source == "image" and s.confidence is not None for s in result.segments)
    assert result.engines[0].startswith("tesseract")


def test_a_video_yields_its_speech_and_its_frames_text_once(
    extractor: MediaExtractor, mp4: bytes, png: bytes, sentence: str
) -> None:
    every_second = MediaExtractor(MediaSettings(video_frame_interval_s=1.0), recognizer=extractor.recognizer)
    result = every_second.extract("clip.mp4", mp4)
    assert result.kind == "video"
    assert 2.0 < result.seconds < 10.0
    assert {s.source for s in result.segments} == {"speech", "frame"}
    frames_text = " ".join(s.text for s in result.segments if s.source == "frame")
    # The still image is on each of the frames read (one a second), but its lines are kept once.
    assert jiwer.cer(sentence, frames_text) < 0.05, frames_text
    assert len(frames_text.splitlines()) == len(extractor.ocr_image(png).segments)
    assert words(" ".join(s.text for s in result.segments if s.source == "speech"))
    assert frames_text.splitlines()[0] in result.text
    assert len(result.engines) == 2


def test_speech_is_a_playable_wav_that_says_the_text(extractor: MediaExtractor) -> None:
    audio = extractor.speak("Oxygen is a chemical element.")
    with wave.open(io.BytesIO(audio)) as played:
        seconds = played.getnframes() / played.getframerate()
        assert played.getnchannels() == 1
    assert 1.0 < seconds < 5.0
    assert extractor.transcribe_audio(audio).seconds == pytest.approx(seconds, abs=0.1)


def test_a_silent_video_yields_its_frames_text(extractor: MediaExtractor, png: bytes, sentence: str) -> None:
    result = extractor.extract("slide.mp4", silent_mp4(png, seconds=2))
    assert {s.source for s in result.segments} == {"frame"}
    assert jiwer.cer(sentence, result.text.replace("\n", " ")) < 0.05, result.text
    assert result.engines == (extractor.reader.name,)
