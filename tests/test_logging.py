"""Logging: personal data passed as ``pii`` never reaches INFO output."""

from __future__ import annotations

import logging

from pipeline.logging_setup import RedactPersonalData


def test_pii_extra_is_redacted_above_debug() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "applicant %s", None, None)
    record.pii = "山田太郎"
    RedactPersonalData().filter(record)
    assert record.pii == "[redacted]"


def test_pii_extra_is_kept_at_debug() -> None:
    record = logging.LogRecord("x", logging.DEBUG, __file__, 1, "applicant", None, None)
    record.pii = "山田太郎"
    RedactPersonalData().filter(record)
    assert record.pii == "山田太郎"
