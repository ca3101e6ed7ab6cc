"""OCR by Debian's tesseract-ocr through pytesseract: the lines of an image, with their confidence."""

from __future__ import annotations

import io

from ragplatform.errors import BackendUnavailable, UnsupportedMedia
from ragplatform.media.base import Segment
from ragplatform.media.programs import require


class TesseractReader:
    """Tesseract's LSTM engine, ``language`` as tesseract names it (``eng``, ``eng+deu``)."""

    def __init__(self, *, language: str = "eng", timeout_s: float = 120.0) -> None:
        self.language = language
        self.timeout_s = timeout_s
        self._version: str | None = None

    @property
    def name(self) -> str:
        """``tesseract 5.3.0 (eng) via pytesseract``. Raises BackendUnavailable when it is missing."""
        import pytesseract

        if self._version is None:
            require("tesseract")
            self._version = str(pytesseract.get_tesseract_version())
        return f"tesseract {self._version} ({self.language}) via pytesseract"

    def read(self, image: bytes) -> list[Segment]:
        """Raises BackendUnavailable (tesseract missing, or past the timeout), UnsupportedMedia."""
        import pytesseract
        from PIL import Image, UnidentifiedImageError

        require("tesseract")
        try:
            with Image.open(io.BytesIO(image)) as opened:
                gray = opened.convert("L")
        except (UnidentifiedImageError, OSError) as exc:
            raise UnsupportedMedia(f"the image cannot be decoded: {exc}", field="file") from exc
        try:
            data = pytesseract.image_to_data(
                gray, lang=self.language, output_type=pytesseract.Output.DICT, timeout=self.timeout_s
            )
        except RuntimeError as exc:  # pytesseract's timeout
            raise BackendUnavailable(f"OCR took longer than {self.timeout_s:g} s (MEDIA__TIMEOUT_S)") from exc
        except pytesseract.TesseractError as exc:
            raise BackendUnavailable(f"tesseract failed: {exc.message}") from exc
        return _lines(data)


def _lines(data: dict[str, list[object]]) -> list[Segment]:
    """Tesseract's words grouped into lines, in reading order, confidence the words' mean (0..1)."""
    lines: dict[tuple[int, int, int], list[tuple[str, float]]] = {}
    for i, word in enumerate(data["text"]):
        text = str(word).strip()
        conf = float(str(data["conf"][i]))
        if not text or conf < 0:
            continue
        key = (int(str(data["block_num"][i])), int(str(data["par_num"][i])), int(str(data["line_num"][i])))
        lines.setdefault(key, []).append((text, conf / 100))
    return [
        Segment(" ".join(w for w, _ in words), "image", confidence=sum(c for _, c in words) / len(words))
        for words in lines.values()
    ]
