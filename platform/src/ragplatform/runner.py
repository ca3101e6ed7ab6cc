"""Which process does a piece of work (a build, an evaluation, a build job), and is it still alive?

A process that is SIGKILLed, or a machine that is switched off, never says that its work stopped;
the record it left (an MLflow run, a build job row) keeps saying ``running``. Each such record
therefore names its runner: the host, the pid, and the process's start time, which tells a pid
reused by an unrelated process apart from the original one. On the runner's own host that is
enough to know whether it died; elsewhere only a heartbeat can tell (see ``indexing/jobs.py``).
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass

import psutil

HOST_TAG = "runner.host"
PID_TAG = "runner.pid"
STARTED_TAG = "runner.started"
_SAME_PROCESS_S = 1.0  # start times are recorded to 1/100 s; a reused pid starts much later


@dataclass(frozen=True)
class Runner:
    host: str
    pid: int
    started: float
    """The process's start time (epoch seconds)."""

    @classmethod
    def current(cls) -> Runner:
        """This process."""
        proc = psutil.Process()
        return cls(host=socket.gethostname(), pid=proc.pid, started=round(proc.create_time(), 2))

    @classmethod
    def from_tags(cls, tags: Mapping[str, str]) -> Runner | None:
        """The runner named by ``tags`` (as ``tags()`` wrote them), or None when they name none."""
        try:
            return cls(host=tags[HOST_TAG], pid=int(tags[PID_TAG]), started=float(tags[STARTED_TAG]))
        except (KeyError, ValueError):
            return None

    def tags(self) -> dict[str, str]:
        return {HOST_TAG: self.host, PID_TAG: str(self.pid), STARTED_TAG: f"{self.started:.2f}"}

    @property
    def is_local(self) -> bool:
        return self.host == socket.gethostname()

    def is_dead(self) -> bool:
        """True when this runner certainly stopped: it ran on this host and its process is gone, a
        zombie, or its pid now belongs to another process. False when alive or when it cannot be
        told from here (another host, a process we may not inspect)."""
        if not self.is_local:
            return False
        try:
            proc = psutil.Process(self.pid)
            if proc.status() == psutil.STATUS_ZOMBIE:
                return True
            return bool(abs(proc.create_time() - self.started) > _SAME_PROCESS_S)
        except psutil.NoSuchProcess:
            return True
        except psutil.AccessDenied:
            return False

    def __str__(self) -> str:
        return f"pid {self.pid} on {self.host}"
