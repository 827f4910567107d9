"""Prefect flows: orchestration only; every step calls a ``pipeline`` function.

This machine (and the association's server) has no internet: Prefect must
never try to phone home, so analytics are switched off before Prefect is
imported anywhere below. Tesseract gets one OpenMP thread per process: the
flow already runs one page per core.
"""

from __future__ import annotations

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("OMP_THREAD_LIMIT", "1")
