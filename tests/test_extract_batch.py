"""OCR batched over envelopes: fewer engine calls, the same readings (real OCR; ~30 s)."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

import pipeline.extract.text_reading as reading_mod
from pipeline.config import Settings
from pipeline.extract.standalone import FileExtraction, extract_file, extract_files
from pipeline.ingest.sniff import UnusableFileError

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample" / "envelopes"

pytestmark = [pytest.mark.ocr, pytest.mark.slow]


def _values(result: FileExtraction | UnusableFileError) -> dict[str, tuple[str | None, str]]:
    assert isinstance(result, FileExtraction)
    return {f.key: (f.value, str(f.status)) for f in result.extraction.fields}


def test_a_batch_reads_as_each_file_alone_with_one_start_per_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, empty = tmp_path / "first.pdf", tmp_path / "second.pdf", tmp_path / "empty.pdf"
    shutil.copy(SAMPLE / "E2024-0001.pdf", first)
    shutil.copy(SAMPLE / "E2024-0003.pdf", second)
    empty.write_bytes(b"")
    settings = Settings(data_root=tmp_path / "data", ocr_batch_envelopes=3)
    alone = {path: _values(extract_file(path, settings)) for path in (first, second)}

    starts: list[object] = []
    paddle_calls: list[int] = []
    real = reading_mod.read_lines
    real_paddle = reading_mod.ppocr.read_lines

    def counting(images, request, cmd):  # type: ignore[no-untyped-def]
        starts.append(request)
        return real(images, request, cmd=cmd)

    def counting_paddle(images):  # type: ignore[no-untyped-def]
        paddle_calls.append(len(images))
        return real_paddle(images)

    monkeypatch.setattr(reading_mod, "read_lines", counting)
    monkeypatch.setattr(reading_mod.ppocr, "read_lines", counting_paddle)
    batch = dict(extract_files([first, empty, second], settings))

    assert isinstance(batch[empty], UnusableFileError)  # the bad file is reported, not fatal
    assert _values(batch[first]) == alone[first]
    assert _values(batch[second]) == alone[second]
    assert alone[first] != alone[second]  # two different envelopes, not one read twice
    # Both envelopes' crops of a setting go to one process: a first pass, then one second
    # look at what the engines did not agree on (its renditions together); PP-OCR reads the
    # lot once.
    assert max(Counter(starts).values()) <= 2
    assert len(paddle_calls) == 1
