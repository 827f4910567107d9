"""Certificates (認定証) as A4 PDFs: every text in its box, plain or on pre-printed stock.

Each approved certification gets one page with its number, the qualification's
full Japanese name, the holder's name, the validity in 和暦 and 西暦, the issue
date and the association; ``certificate_stock = "preprinted"`` prints only the
variable texts at the layout's offsets. The certificates CSV stays as it was.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from pipeline.config import Settings, get_settings
from pipeline.errors import TemplateError
from pipeline.outputs.certificate_pdf import certificates_pdf, plan_certificate
from pipeline.outputs.certifications import export_certifications
from pipeline.outputs.layouts import VARIABLE_FIELDS, certificate_layout
from pipeline.outputs.samples import sample_certificate
from pipeline.outputs.typeset import TextDoesNotFit
from pipeline.runs import start_run
from pipeline.storage.db import session_scope
from pipeline.storage.models import Application, AuditEvent, FieldValue, ReviewItem
from tests.pdf_support import TOLERANCE, inside, page_count, pdf_text, words
from tests.test_outputs import _app


def flat(text: str) -> str:
    """pdftotext splits a line where the text has a wide gap; compare without spacing."""
    return "".join(text.split())


def _pdf(cfg: Settings, **changes: object) -> bytes:
    doc = sample_certificate()
    for key, value in changes.items():
        object.__setattr__(doc, key, value)  # frozen dataclass: a test's variant
    return certificates_pdf([plan_certificate(doc, cfg)], cfg, title="t")


def test_a_plain_certificate_prints_every_text_the_issue_names() -> None:
    pdf = _pdf(Settings())
    text = flat(pdf_text(pdf))
    for expected in (
        "認定番号　OMP-2025-00001",
        "認 定 証",
        "山田 花子　殿",
        "プロフェッショナル資格",
        "オペレーションマネジメント（OMP）",
        "令和7年4月1日 から 令和10年3月31日 まで",
        "（2025年4月1日 ～ 2028年3月31日）",
        "令和7年6月21日",
        "一般社団法人 日本コンタクトセンター教育検定協会",
    ):
        assert flat(expected) in text, expected
    inner = certificate_layout().border[1]
    assert all(inside(w, inner, inner, 210 - inner, 297 - inner) for w in words(pdf))


def test_on_preprinted_stock_only_the_variable_texts_print_at_their_offsets() -> None:
    cfg = Settings(certificate_stock="preprinted")
    pdf = _pdf(cfg)
    text = pdf_text(pdf)
    for fixed in ("認 定 証", "当協会の定める", "有 効 期 間", "一般社団法人"):
        assert fixed not in text
    assert "OMP-2025-00001" in text and "認定番号" not in text
    assert "山田 花子" in text and "令和10年3月31日" in text
    spots = certificate_layout().preprinted
    found = words(pdf)
    number = next(w for w in found if w.text == "OMP-2025-00001")
    assert abs(number.right - spots["number"].box.right) < TOLERANCE  # right-aligned at its offset
    assert abs(number.top - spots["number"].top) < 1.5
    issued = next(w for w in found if w.text.startswith("令和7年6月21日"))
    assert abs(issued.left - spots["issued"].left) < TOLERANCE
    assert set(spots) == set(VARIABLE_FIELDS)


def test_the_stock_layout_is_the_offices_file(tmp_path: Path) -> None:
    layout = (
        Path(__file__).parents[1] / "pipeline/outputs/templates/certificate_layout.yaml"
    ).read_text(encoding="utf-8")
    moved = layout.replace(
        "  issued:           {left: 38, top: 228, width: 134, height: 7, size: 12.5}\n",
        "  issued:           {left: 60, top: 240, width: 100, height: 7, size: 12.5}\n",
    )
    assert moved.count("left: 60, top: 240") == 2
    path = tmp_path / "stock.yaml"
    path.write_text(moved, encoding="utf-8")
    cfg = Settings(certificate_stock="preprinted", certificate_layout_path=path)
    issued = next(w for w in words(_pdf(cfg)) if w.text.startswith("令和7年6月21日"))
    assert abs(issued.left - 60) < TOLERANCE and abs(issued.top - 240) < 1.5
    path.write_text(layout.replace("  issued:", "  stamp:", 1), encoding="utf-8")
    certificate_layout.cache_clear()
    with pytest.raises(TemplateError, match=r"stock\.yaml"):
        certificate_layout(path)


def test_a_long_name_shrinks_into_its_box_and_a_name_outside_jis_x_0208_prints() -> None:
    cfg = Settings()
    long_name = "𠮷野谷髙橋ジョナサン・アレクサンダー・フィッツジェラルド・ウィリアムズ"
    pdf = _pdf(cfg, name=long_name)
    spot = certificate_layout().plain["name"]
    name_words = [w for w in words(pdf) if spot.top - 1 <= w.top <= spot.box.bottom]
    assert name_words and all(
        inside(w, spot.left, spot.top, spot.box.right, spot.box.bottom) for w in name_words
    )
    assert flat(long_name) in flat(pdf_text(pdf))


def test_a_name_that_cannot_fit_refuses_the_certificate() -> None:
    doc = sample_certificate()
    object.__setattr__(doc, "name", "アレクサンダー" * 20)
    with pytest.raises(TextDoesNotFit, match="氏名"):
        plan_certificate(doc, Settings())


def test_the_run_exports_certificate_pdfs_beside_the_csv_and_holds_back_an_unsure_name(
    engine: Engine, tmp_path: Path
) -> None:
    cfg = get_settings()
    run = start_run(engine)
    with session_scope(engine) as s:
        _app(
            s, name="山田 太郎", address="東京都", number="OMP-2025-00001", decision="approved", n=1
        )
        unsure = _app(
            s, name="佐藤 花子", address="東京都", number="CAP-2025-00001", decision="approved", n=2
        )
        s.add(
            FieldValue(
                application_id=unsure,
                envelope_id=s.get(Application, unsure).envelope_id,
                form_code="A",
                name="name_kanji",
                kind="text",
                value="佐藤 花了",
                status="low_confidence",
            )
        )
    out = tmp_path / "run-1"
    result = export_certifications(engine, cfg, out, run_id=run)
    assert result.count == 1
    assert [p.name for p in result.files] == [
        "certifications-utf8.csv",
        "certifications-cp932.csv",
        "certificates.pdf",
        "OMP-2025-00001.pdf",
    ]
    assert page_count(out / "certificates.pdf") == 1
    assert "山田太郎殿" in flat(pdf_text(out / "certificates" / "OMP-2025-00001.pdf"))
    assert "令和7年6月21日" in pdf_text(out / "certificates.pdf")  # approved that day (Tokyo)
    assert "CAP-2025-00001" not in (out / "certifications-utf8.csv").read_text(encoding="utf-8-sig")
    assert len(result.refused) == 1 and "氏名の読み取りが確認されていません" in result.refused[0]
    with session_scope(engine) as s:
        item = s.scalars(select(ReviewItem).where(ReviewItem.kind == "certificate_blocked")).one()
        assert item.application_id == unsure and item.status == "open"
        s.scalars(
            select(FieldValue).where(FieldValue.application_id == unsure)
        ).one().status = "confirmed"
    later = export_certifications(engine, cfg, tmp_path / "run-2", run_id=run)
    assert later.count == 1 and "佐藤花了殿" in flat(
        pdf_text(tmp_path / "run-2" / "certificates.pdf")
    )
    with session_scope(engine) as s:
        assert (
            s.scalars(
                select(ReviewItem.status).where(ReviewItem.kind == "certificate_blocked")
            ).one()
            == "resolved"
        )
        exported = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "certificate.exported")
        ).all()
        assert len(exported) == 2


def test_a_killed_run_s_certificates_are_printed_by_the_next_run_not_exported_again(
    engine: Engine, tmp_path: Path
) -> None:
    from sqlalchemy import delete

    cfg = get_settings()
    first = start_run(engine)
    with session_scope(engine) as s:
        _app(
            s, name="山田 太郎", address="東京都", number="OMP-2025-00001", decision="approved", n=1
        )
    out = tmp_path / "outputs"
    export_certifications(engine, cfg, out / f"run-{first}", run_id=first)
    # killed after its CSV, before its PDFs and its events
    with session_scope(engine) as s:
        s.execute(delete(AuditEvent).where(AuditEvent.action == "certificate.exported"))
    (out / f"run-{first}" / "certificates.pdf").unlink()
    (out / f"run-{first}" / "certificates" / "OMP-2025-00001.pdf").unlink()
    second = start_run(engine)
    assert export_certifications(engine, cfg, out / f"run-{second}", run_id=second).count == 0
    assert "山田太郎殿" in flat(pdf_text(out / f"run-{first}" / "certificates.pdf"))
    assert (out / f"run-{first}" / "certificates" / "OMP-2025-00001.pdf").is_file()
    assert not (out / f"run-{second}").exists()


def test_dates_on_a_certificate_use_the_era_of_the_day() -> None:
    doc = sample_certificate()
    object.__setattr__(doc, "valid_from", date(2019, 4, 1))
    object.__setattr__(doc, "valid_to", date(2022, 3, 31))
    text = pdf_text(certificates_pdf([plan_certificate(doc, Settings())], Settings(), title="t"))
    assert "平成31年4月1日 から 令和4年3月31日 まで" in text
