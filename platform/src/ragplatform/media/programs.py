"""Running Debian's programs (ffmpeg, tesseract, espeak-ng): no shell, a timeout, and errors of
the platform's tree, a missing program naming the Debian package that brings it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence

from ragplatform.errors import BackendUnavailable, InvalidInput

# The Debian package of each program the media engines run.
DEBIAN_PACKAGES: dict[str, str] = {
    "ffmpeg": "ffmpeg",
    "ffprobe": "ffmpeg",
    "tesseract": "tesseract-ocr",
    "espeak-ng": "espeak-ng",
}


def require(program: str) -> str:
    """The path of ``program``. Raises BackendUnavailable naming its Debian package when missing."""
    path = shutil.which(program)
    if path is None:
        package = DEBIAN_PACKAGES.get(program, program)
        raise BackendUnavailable(
            f"{program} is not installed on this server: install the Debian package {package!r} "
            f"(apt-get install {package}, or `make media` as root)"
        )
    return path


def run(
    args: Sequence[str],
    *,
    timeout_s: float,
    stdin: bytes | None = None,
    what: str,
    failure: type[InvalidInput] = InvalidInput,
) -> bytes:
    """Runs ``args`` (no shell) and returns its standard output.

    Raises BackendUnavailable when the program is missing or runs past ``timeout_s``, and
    ``failure`` (InvalidInput by default, ``field="file"``) when it fails on the input, with the end of
    its error output.
    """
    command = [require(args[0]), *args[1:]]
    try:
        done = subprocess.run(command, input=stdin, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BackendUnavailable(f"{what} took longer than {timeout_s:g} s (MEDIA__TIMEOUT_S)") from exc
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise failure(f"{what} failed: {' '.join(tail) or f'exit status {done.returncode}'}", field="file")
    return done.stdout
