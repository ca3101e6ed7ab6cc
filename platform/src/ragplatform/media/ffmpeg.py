"""Decoding audio and video with Debian's ffmpeg (and its ffprobe): durations, 16 kHz mono PCM for
speech to text, and frames for OCR. Inputs are files (MP4 needs a seekable input)."""

from __future__ import annotations

from pathlib import Path

from ragplatform.errors import UnsupportedMedia
from ragplatform.media.programs import run

SAMPLE_RATE = 16_000  # what the speech models take: 16 kHz, mono, 16-bit little-endian PCM
BYTES_PER_SECOND = SAMPLE_RATE * 2
MAX_FRAME_WIDTH = 1920  # wider frames are scaled down before OCR


def probe_seconds(path: Path, *, timeout_s: float) -> float | None:
    """The container's duration in seconds, or None where it does not say (a raw stream)."""
    out = run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        timeout_s=timeout_s,
        what="reading the media's duration (ffprobe)",
        failure=UnsupportedMedia,
    )
    try:
        return float(out.decode().strip())
    except ValueError:
        return None


def stream_kinds(path: Path, *, timeout_s: float) -> set[str]:
    """The kinds of stream the file holds: ``{"video", "audio"}``, ``{"audio"}``..."""
    out = run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0", str(path)],
        timeout_s=timeout_s,
        what="reading the media's streams (ffprobe)",
        failure=UnsupportedMedia,
    )
    return {line.strip() for line in out.decode().splitlines() if line.strip()}


def to_pcm(path: Path, *, max_seconds: float, timeout_s: float) -> bytes:
    """The first audio track as 16 kHz mono PCM, decoding at most ``max_seconds`` (plus one, so the
    caller can tell a longer file)."""
    return run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-t", f"{max_seconds + 1:g}", "-vn",
         "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "pipe:1"],
        timeout_s=timeout_s,
        what="decoding the audio (ffmpeg)",
        failure=UnsupportedMedia,
    )  # fmt: skip


def frames(path: Path, out_dir: Path, *, every_s: float, max_frames: int, timeout_s: float) -> list[Path]:
    """The first frame and one every ``every_s`` seconds after it, at most ``max_frames``, as PNG
    files at most ``MAX_FRAME_WIDTH`` pixels wide."""
    # The first frame, then the first one at least every_s after the last one picked.
    pick = f"select='isnan(prev_selected_t)+gte(t-prev_selected_t,{every_s:g})',scale=w='min(iw,{MAX_FRAME_WIDTH})':h=-2"
    run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-an", "-vf", pick, "-fps_mode", "vfr",
         "-frames:v", str(max_frames), str(out_dir / "frame%04d.png")],
        timeout_s=timeout_s,
        what="reading the video's frames (ffmpeg)",
        failure=UnsupportedMedia,
    )  # fmt: skip
    return sorted(out_dir.glob("frame*.png"))
