"""The runner a record names: this process is alive, a finished one or a reused pid is dead,
one on another host cannot be told from here."""

from __future__ import annotations

import os
import subprocess

from ragplatform.runner import Runner


def test_runner_liveness() -> None:
    me = Runner.current()
    assert me.pid == os.getpid() and me.is_local and not me.is_dead()
    assert Runner.from_tags(me.tags()) == me
    assert Runner.from_tags({"runner.host": "h"}) is None

    exited = subprocess.Popen(["true"])
    exited.wait()
    assert Runner(me.host, exited.pid, me.started).is_dead()
    assert Runner(me.host, me.pid, me.started - 3600).is_dead(), "our pid, but not the process that started"
    assert not Runner("another-host", 1, 0.0).is_dead(), "cannot tell from here"
    assert str(me) == f"pid {me.pid} on {me.host}"
