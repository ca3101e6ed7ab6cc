"""Real media the media tests make themselves: a sentence of the demo corpus spoken by espeak-ng
(WAV), rendered with Pillow (PNG), and both muxed by ffmpeg (MP4)."""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
import wave
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from ragplatform.media.tts_espeak import EspeakSpeaker

REPO = Path(__file__).resolve().parents[1]
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def demo_sentence(document: str, index: int = 0) -> str:
    """The ``index``-th sentence of the first paragraph of ``datasets/demo/<document>.md``."""
    text = (REPO / "datasets" / "demo" / f"{document}.md").read_text(encoding="utf-8")
    paragraph = next(p for p in text.split("\n\n") if p.strip() and not p.startswith("#"))
    return re.split(r"(?<=[.!?])\s+", paragraph.strip())[index]


def spoken_wav(text: str) -> bytes:
    return EspeakSpeaker(voice="en-us", words_per_minute=150).speak(text)


def rendered_png(text: str, *, width: int = 1600) -> bytes:
    """Black text on white, wrapped to ``width`` pixels, in DejaVu Sans (Pillow's own font without it)."""
    font = ImageFont.truetype(str(FONT), 28) if FONT.exists() else ImageFont.load_default(size=28)
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") < width - 80:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    image = Image.new("RGB", (width, 60 + 44 * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((40, 30 + 44 * i), line, fill="black", font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def muxed_mp4(wav: bytes, png: bytes) -> bytes:
    """A still-image H.264 video of ``png`` lasting as long as ``wav``, which is its AAC sound track."""
    with tempfile.TemporaryDirectory(prefix="media-test-") as tmp:
        folder = Path(tmp)
        (folder / "a.wav").write_bytes(wav)
        (folder / "i.png").write_bytes(png)
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-loop", "1", "-framerate", "2", "-i", str(folder / "i.png"),
             "-i", str(folder / "a.wav"), "-t", f"{seconds(wav):.2f}", "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2", "-c:v", "libx264",
             "-tune", "stillimage", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(folder / "v.mp4")],
            check=True,
            timeout=60,
        )  # fmt: skip
        return (folder / "v.mp4").read_bytes()


def silent_mp4(png: bytes, *, seconds: float) -> bytes:
    """A still-image H.264 video of ``png`` with no sound track."""
    with tempfile.TemporaryDirectory(prefix="media-test-") as tmp:
        folder = Path(tmp)
        (folder / "i.png").write_bytes(png)
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-loop", "1", "-framerate", "2", "-i", str(folder / "i.png"),
             "-t", f"{seconds:g}", "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2", "-c:v", "libx264",
             "-pix_fmt", "yuv420p", str(folder / "v.mp4")],
            check=True,
            timeout=60,
        )  # fmt: skip
        return (folder / "v.mp4").read_bytes()


def seconds(wav: bytes) -> float:
    with wave.open(io.BytesIO(wav)) as sound:
        return sound.getnframes() / sound.getframerate()
