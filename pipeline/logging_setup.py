"""One logging setup for the CLI, the flows and the review app.

Personal data (names, addresses, birth dates) is never logged at INFO: code
logs ids and hashes at INFO and keeps values for DEBUG. As a safety net the
``RedactPersonalData`` filter masks values passed as ``extra={"pii": ...}``.
"""

from __future__ import annotations

import logging
import sys

_CONFIGURED = False


class RedactPersonalData(logging.Filter):
    """Masks the ``pii`` extra on records above DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.DEBUG and hasattr(record, "pii"):
            record.pii = "[redacted]"
        return True


def configure_logging(level: str | None = None) -> None:
    """Configure the root logger once; later calls only change the level."""
    global _CONFIGURED
    if level is None:
        try:
            from pipeline.config import get_settings

            level = get_settings().log_level
        except Exception:
            level = "INFO"
    root = logging.getLogger()
    root.setLevel(level)
    if _CONFIGURED:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    handler.addFilter(RedactPersonalData())
    root.addHandler(handler)
    # Chatty libraries stay at WARNING unless we debug.
    for name in ("PIL", "alembic.runtime.migration", "httpx", "urllib3", "asyncio"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    _CONFIGURED = True
