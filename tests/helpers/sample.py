"""Where the committed sample's pages are, read from its ground truth, so tests do not
depend on the order its envelopes were shuffled into."""

from __future__ import annotations

import json

from pipeline.sample_inbox import SAMPLE_DIR


def page_of(envelope: str, form_code: str) -> int:
    """The scan index of the first page of ``form_code`` in ``envelope``."""
    truth = json.loads(
        (SAMPLE_DIR / "truth" / f"{envelope}.truth.json").read_text(encoding="utf-8")
    )
    for page in truth["pages"]:
        if page["form_code"] == form_code:
            return int(page["index"])
    raise LookupError(f"{envelope} has no page of form {form_code}")
