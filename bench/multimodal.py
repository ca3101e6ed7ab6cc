"""Quality and latency of the offline media engines (``ragplatform.media``) on media made here.

Sentences of the demo corpus (``datasets/demo/*.md``) are spoken by espeak-ng (WAV), rendered with
Pillow (PNG, DejaVu Sans 28 px) and, for a few, muxed into an MP4 by ffmpeg. Then prints:

- speech to text (pocketsphinx, the en-us model its wheel ships): word error rate over all spoken
  sentences (jiwer, words lower-cased without punctuation);
- OCR (tesseract through pytesseract, ``eng``): character error rate over all rendered sentences;
- latency per modality (p50/p95 per file), speech synthesis included;
- with the platform (embedded engines in a temporary DATA_DIR, demo index promoted, extractive
  answers), the share of questions answered with a citation of the sentence's own document when
  the extracted text is asked as the question, and the same for the sentence itself as a ceiling.

    .venv/bin/python bench/multimodal.py [--per-document 4] [--videos 4] [--no-answers]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import jiwer
from PIL import Image, ImageDraw, ImageFont

for _key, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_key, _value)

REPO = Path(__file__).resolve().parents[1]
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
T = TypeVar("T")


@dataclass
class Item:
    document: str
    sentence: str
    wav: bytes = b""
    png: bytes = b""
    transcript: str = ""
    ocr: str = ""


def sentences(per_document: int) -> list[Item]:
    """The first ``per_document`` plain sentences (8 to 25 words, letters only: espeak-ng reads
    digits as words, which a reference in digits would count as errors) of each demo document."""
    items = []
    for path in sorted((REPO / "datasets" / "demo").glob("*.md")):
        text = re.sub(r"^#.*$", "", path.read_text(encoding="utf-8"), flags=re.M)
        found = 0
        for sentence in re.split(r"(?<=[.!?])\s+", " ".join(text.split())):
            if (
                found < per_document
                and 8 <= len(sentence.split()) <= 25
                and re.fullmatch(r"[A-Za-z ,.;'-]+", sentence)
            ):
                items.append(Item(path.stem, sentence))
                found += 1
    return items


def render(text: str, width: int = 1600) -> bytes:
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


def mux(wav: bytes, png: bytes) -> bytes:
    with wave.open(io.BytesIO(wav)) as sound:
        seconds = sound.getnframes() / sound.getframerate()
    with tempfile.TemporaryDirectory(prefix="bench-media-") as tmp:
        folder = Path(tmp)
        (folder / "a.wav").write_bytes(wav)
        (folder / "i.png").write_bytes(png)
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-loop", "1", "-framerate", "2", "-i", str(folder / "i.png"),
             "-i", str(folder / "a.wav"), "-t", f"{seconds:.2f}", "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2", "-c:v", "libx264",
             "-tune", "stillimage", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(folder / "v.mp4")],
            check=True,
            timeout=120,
        )  # fmt: skip
        return (folder / "v.mp4").read_bytes()


def timed(call: Callable[[], T], into: list[float]) -> T:
    start = time.perf_counter()
    result = call()
    into.append((time.perf_counter() - start) * 1000)
    return result


def words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"p50 {statistics.median(ordered):7.0f} ms   p95 {p95:7.0f} ms   (n={len(ordered)})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-document", type=int, default=4, help="sentences per demo document (6 documents)")
    ap.add_argument("--videos", type=int, default=4, help="how many of them also go through an MP4")
    ap.add_argument("--no-answers", action="store_true", help="skip asking the platform")
    args = ap.parse_args()

    from ragplatform.media.extract import MediaExtractor

    media = MediaExtractor()
    items = sentences(args.per_document)
    speak_ms: list[float] = []
    stt_ms: list[float] = []
    ocr_ms: list[float] = []
    video_ms: list[float] = []
    for item in items:
        item.wav = timed(lambda item=item: media.speak(item.sentence), speak_ms)
        item.png = render(item.sentence)
        item.transcript = timed(lambda item=item: media.transcribe_audio(item.wav), stt_ms).text
        item.ocr = timed(lambda item=item: media.ocr_image(item.png), ocr_ms).text.replace("\n", " ")
    video_text = []
    for item in items[: args.videos]:
        mp4 = mux(item.wav, item.png)
        video_text.append(timed(lambda mp4=mp4: media.extract("clip.mp4", mp4), video_ms).text)

    references = [words(i.sentence) for i in items]
    wer = jiwer.wer(references, [words(i.transcript) or "<empty>" for i in items])
    cer = jiwer.cer([i.sentence for i in items], [i.ocr or "<empty>" for i in items])
    print(f"set: {len(items)} sentences of {len({i.document for i in items})} demo documents, each spoken and rendered;"
          f" {len(video_ms)} also as MP4")  # fmt: skip
    print(f"speech to text   {media.recognizer.name}: WER {wer:.3f}")
    print(f"OCR              {media.reader.name}: CER {cer:.4f}")
    print("latency per file")
    print(f"  speech to text  {percentiles(stt_ms)}")
    print(f"  OCR             {percentiles(ocr_ms)}")
    if video_ms:
        print(f"  video (STT+OCR) {percentiles(video_ms)}")
    print(f"  speech ({media.speaker.name}) {percentiles(speak_ms)}")
    print(f"example: {items[0].sentence!r}\n  heard as {items[0].transcript!r}\n  read as  {items[0].ocr!r}")
    if not args.no_answers:
        shares = ask(items)
        print("questions answered with a citation of the sentence's document (top citation / any citation)")
        for label, (top, anywhere) in shares.items():
            print(f"  {label:<22} {top:6.1%} / {anywhere:6.1%}")
    return 0


def ask(items: list[Item]) -> dict[str, tuple[float, float]]:
    """The extracted texts (and the sentences themselves) asked of a platform on embedded engines."""
    from ragplatform.db.embedded import stop_embedded_postgres
    from ragplatform.factory import apply_offline_env, build_platform
    from ragplatform.seed import seed_content
    from ragplatform.settings import LLMSettings, Settings
    from ragplatform.spec import IndexSpec

    apply_offline_env()
    data = Path(tempfile.mkdtemp(prefix="ragplatform-bench-"))
    settings = Settings(
        _env_file=None,
        data_dir=data,
        datasets_dir=REPO / "datasets",
        database_url=None,  # type: ignore[call-arg]
        mongodb_uri=None,
        weaviate_url=None,
        mlflow_tracking_uri=None,
        llm=LLMSettings(providers=["extractive"]),
    )
    p = build_platform(settings)
    try:
        seed_content(p.content, settings.datasets_dir / "seed")
        p.indexes.ensure_production(IndexSpec())
        shares = {}
        for label, question in (
            ("OCR text", lambda i: i.ocr),
            ("speech transcript", lambda i: i.transcript),
            ("the sentence itself", lambda i: i.sentence),
        ):
            top = anywhere = 0
            for item in items:
                text = question(item).strip()
                if not text:
                    continue
                answer = p.answers.ask(text, persist=False)
                sources = [c.source for c in answer.citations]
                top += bool(sources) and item.document in sources[0]
                anywhere += any(item.document in s for s in sources)
            shares[label] = (top / len(items), anywhere / len(items))
        return shares
    finally:
        p.close()
        stop_embedded_postgres(settings.pg_dir)


if __name__ == "__main__":
    sys.exit(main())
