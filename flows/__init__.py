"""Prefect flows: orchestration only; every step calls a ``pipeline`` function.

This machine (and the association's server) has no internet: Prefect must
never try to phone home, so analytics are switched off before Prefect is
imported anywhere below. Tesseract gets one OpenMP thread per process: the
flow already runs one page per core. Prefect's temporary local server gets two
minutes to start, not its default 20 s: on a busy two-core machine (the nightly run
beside OCR, a test suite) it takes longer, and the run failed before it began.
"""

from __future__ import annotations

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("OMP_THREAD_LIMIT", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
