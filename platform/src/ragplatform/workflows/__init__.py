"""Workflows (API 02): multi-step runs of platform work with progress, durable across restarts.

``base.py`` is the contract (a workflow, its steps, the context it reports through), ``runs.py``
stores runs and steps in PostgreSQL, ``builtin.py`` holds the four built-ins, ``service.py``
starts and executes runs, and ``queue.py`` puts them on procrastinate's PostgreSQL task queue with
a worker that recovers runs whose worker died.
"""
