"""A real Tesseract re-read of typed fields on a clean render matches the truth."""

from __future__ import annotations

import random
import subprocess
from datetime import date
from pathlib import Path

import cv2
import pytest

from pipeline.forms import default_templates
from pipeline.forms.render import rasterize_pdf
from pipeline.synth.envelope import render_envelope
from pipeline.synth.scan import DegradationMix
from pipeline.synth.scenarios import build_record


def _ocr(image, whitelist: str) -> str:
    ok, png = cv2.imencode(".png", image)
    assert ok
    out = subprocess.run(
        [
            "tesseract",
            "stdin",
            "stdout",
            "-l",
            "eng",
            "--psm",
            "7",
            "-c",
            f"tessedit_char_whitelist={whitelist}",
        ],
        input=png.tobytes(),
        capture_output=True,
        check=True,
    )
    return out.stdout.decode().strip()


@pytest.mark.ocr
def test_typed_phone_and_postcode_reread(tmp_path: Path) -> None:
    record = build_record(random.Random(21), "O-1", "eligible", date(2024, 6, 10))
    record.render.handwritten_fields = []
    record.render.shuffle = False
    record.render.cover_letter = False
    truth = render_envelope(
        record, tmp_path, 1, clean=True, mix=DegradationMix(dpis=((150, 1.0),), formats=("pdf",))
    )
    a_index = next(p.index for p in truth.pages if p.form_code == "A")
    dpi = 300
    page = rasterize_pdf((tmp_path / truth.clean_pdf).read_bytes(), dpi)[a_index]
    template = default_templates()[("A", 1)]
    for name in ("phone", "postcode"):
        spec = template.field(name)
        x, y, w, h = (round(v * dpi / 25.4) for v in spec.box_mm)
        text = _ocr(page[y : y + h, x : x + w], spec.ocr.whitelist)
        assert text == truth.field_value("A", 1, name), name
