"""An envelope with no form page in it (a photo named .pdf) is an item for staff, not an
application: no application, no decision, no letter to 「申請者 様」."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from pipeline import stages
from pipeline.config import get_settings
from pipeline.outputs.run_outputs import write_run_outputs
from pipeline.runs import start_run
from pipeline.storage.models import Application, Envelope, Letter, Page, ReviewItem
from tests.test_ingest import settings  # noqa: F401  (the intake fixture)

pytestmark = pytest.mark.ocr


def _photo(path, seed: int = 7) -> None:  # type: ignore[no-untyped-def]
    """A smartphone photo of a desk: smooth colour, noise, no marks, no QR code."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:1600, 0:1200]
    base = np.stack([x / 8, y / 10, (x + y) / 16], axis=-1) % 255
    noisy = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
    Image.fromarray(noisy, "RGB").save(path, "JPEG", quality=85)


@pytest.mark.usefixtures("settings")
def test_a_photo_named_pdf_becomes_an_unidentified_document_item(engine: Engine) -> None:
    cfg = get_settings()
    _photo(cfg.inbox_dir / "scan.pdf")
    result = stages.ingest(engine, cfg, run_id=None)
    assert result.counts.get("new") == 1
    ((envelope_id, pages),) = stages.envelopes_to_extract(engine)
    done = stages.extract_envelope(engine, cfg, envelope_id, pages, run_id=None)
    assert done.counts.get("unidentified") == 1

    with Session(engine) as s:
        envelope = s.get(Envelope, envelope_id)
        assert envelope is not None
        assert (envelope.media_type, envelope.status) == ("image/jpeg", "unidentified")
        assert s.scalar(select(func.count()).select_from(Application)) == 0  # was: one, empty
        stored = s.scalars(select(Page).where(Page.envelope_id == envelope_id)).all()
        assert len(stored) == 1 and stored[0].form_code is None and stored[0].image_path
        (item,) = s.scalars(select(ReviewItem)).all()
        assert (item.kind, item.status, item.envelope_id) == (
            "unidentified_document",
            "open",
            envelope_id,
        )
        assert "scan.pdf" in item.title_ja

    # nothing to decide, nothing to write to anybody; a second pass changes nothing
    assert stages.envelopes_to_extract(engine) == []
    outputs = write_run_outputs(engine, cfg, run_id=start_run(engine), today=date(2024, 6, 10))
    assert outputs.counts.get("letters", 0) == 0
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Letter)) == 0
