"""A small, realistic review-app world built directly through the models (no OCR).

One CAP application (山田 太郎) whose envelope holds all five documents, with
page images and field crops written as small PNGs under the test's data root.
Every field reads cleanly except the start of the first experience period,
which was read as ``2023-04`` at 62% confidence: the rules say 要確認 (review)
and a ``field_review`` item is open for it. With the period corrected to
``2015-04`` and confirmed, the application has 9 years of experience in fields 4
and 6 and the rules find it eligible (認定可).

A second application (佐々木 花子) was read cleanly, with one period of only
12 months (2023-04 to 2024-03), so the rules propose 不認定 (too little
experience); a payment item holds a deposit whose payer could be either
applicant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pipeline.config import Settings
from pipeline.queue import open_or_update
from pipeline.review.auth import add_user
from pipeline.storage.models import (
    Applicant,
    Application,
    BankTransaction,
    Envelope,
    FieldValue,
    Page,
    PaymentMatch,
    RegistryEntry,
    Run,
    Severity,
)
from pipeline.workflow import reevaluate_application

PASSWORD = "correct horse battery"
FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FORMS = ("R", "A", "B", "C", "D")


@dataclass
class World:
    staff_id: int
    staff2_id: int
    manager_id: int
    admin_id: int
    application_id: int
    field_id: int  # B.exp1_from, the low-confidence reading
    item_id: int  # the field_review item for it
    ineligible_application_id: int
    ineligible_item_id: int
    payment_item_id: int
    transaction_id: int
    page_ids: list[int]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(str(FONT), size)
    except OSError:
        return ImageFont.load_default()


def write_png(path: Path, size: tuple[int, int], lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((2, 2, size[0] - 3, size[1] - 3), outline=90, width=2)
    font = _font(max(14, size[1] // (len(lines) + 2)))
    for i, line in enumerate(lines):
        draw.text((14, 8 + i * (size[1] // (len(lines) + 1))), line, fill=30, font=font)
    image.save(path)


def make_users(session: Session) -> dict[str, int]:
    people = {
        "sato": ("佐藤", "staff"),
        "suzuki": ("鈴木", "staff"),
        "tanaka": ("田中", "manager"),
        "admin": ("管理 太郎", "admin"),
    }
    ids = {}
    for username, (display, role) in people.items():
        user = add_user(session, username, role=role, password=PASSWORD, display_name=display)
        ids[username] = user.id
    return ids


def _field(
    envelope: Envelope,
    application: Application,
    pages: dict[str, Page],
    form: str,
    name: str,
    value: str | None,
    *,
    kind: str = "text",
    confidence: float = 0.97,
    status: str = "ok",
    raw: str | None = None,
    crop: str | None = None,
) -> FieldValue:
    return FieldValue(
        application_id=application.id,
        envelope_id=envelope.id,
        page_id=pages[form].id,
        form_code=form,
        name=name,
        kind=kind,
        value=value,
        ocr_value=value,
        raw_text=raw if raw is not None else value,
        confidence=confidence,
        status=status,
        crop_path=crop,
    )


def _envelope(
    session: Session, data_root: Path, sha: str, name: str, received: date
) -> tuple[Envelope, dict[str, Page]]:
    envelope = Envelope(
        sha256=sha, original_name=name, size_bytes=1000, status="extracted", page_count=5
    )
    session.add(envelope)
    session.flush()
    pages = {}
    for index, form in enumerate(FORMS):
        rel = f"store/{envelope.id}/page-{index + 1}.png"
        write_png(data_root / rel, (420, 594), [f"様式 {form}", f"{name}", f"{index + 1}ページ"])
        page = Page(
            envelope_id=envelope.id,
            page_index=index,
            form_code=form,
            form_page=1,
            image_path=rel,
            alignment_residual_mm=0.4,
        )
        session.add(page)
        pages[form] = page
    session.flush()
    return envelope, pages


def _clean_fields(
    envelope: Envelope,
    application: Application,
    pages: dict[str, Page],
    pass_number: str,
    issue: date,
    *,
    oath: str = "true",
) -> list[FieldValue]:
    rows = [
        _field(envelope, application, pages, "R", "pass_number", pass_number, kind="digits"),
        _field(envelope, application, pages, "R", "exam_type", "CAP"),
        _field(envelope, application, pages, "R", "exam_result", "pass"),
        _field(envelope, application, pages, "R", "issue_date", issue.isoformat(), kind="date"),
        _field(envelope, application, pages, "A", "qual_cap", "true", kind="checkbox"),
        _field(envelope, application, pages, "A", "qual_omp", "false", kind="checkbox"),
        _field(envelope, application, pages, "A", "pass_number", pass_number, kind="digits"),
        _field(
            envelope, application, pages, "B", "exp1_org", "株式会社サンプル", kind="table_cell"
        ),
        _field(envelope, application, pages, "B", "exp1_to", "2024-03", kind="yearmonth"),
        _field(envelope, application, pages, "C", "att1_row", "1", kind="digits"),
        _field(envelope, application, pages, "C", "att1_org", "株式会社サンプル"),
        _field(envelope, application, pages, "C", "att1_signature", "true", kind="signature"),
        _field(envelope, application, pages, "D", "signature", oath, kind="signature"),
    ]
    for number in range(1, 8):
        ticked = "true" if number in (4, 6) else "false"
        rows.append(
            _field(
                envelope, application, pages, "B", f"exp1_field_{number}", ticked, kind="checkbox"
            )
        )
    return rows


def _application(
    session: Session,
    envelope: Envelope,
    applicant_name: str,
    pass_number: str,
    received: date,
    issue: date,
    *,
    payment_status: str = "paid",
    registered: bool = True,
) -> Application:
    """The application and its applicant (``registered``: add the passers register line)."""
    applicant = Applicant(
        name=applicant_name,
        kana="ヤマダ タロウ",
        postcode="100-0005",
        address="東京都千代田区丸の内1-1-1 丸の内ビル 5階",
    )
    session.add(applicant)
    session.flush()
    application = Application(
        envelope_id=envelope.id,
        applicant_id=applicant.id,
        qualification="CAP",
        pass_number=pass_number,
        received_on=received,
        payment_status=payment_status,
    )
    session.add(application)
    if registered:
        session.add(
            RegistryEntry(
                pass_number=pass_number,
                name=applicant_name,
                kana="ヤマダ タロウ",
                exam_type="CAP",
                issue_date=issue,
                result="pass",
            )
        )
    session.flush()
    return application


def deposit(
    session: Session, key: str, payer: str, yen: int, booked: date, *, status: str
) -> BankTransaction:
    """A deposit from ヤマダ タロウ on the statement (``key``: one letter, unique in the test)."""
    txn = BankTransaction(
        txn_key=key * 16,
        booked_on=booked,
        payer_raw=payer,
        payer_normalized="ヤマダタロウ",
        deposit_yen=yen,
        status=status,
    )
    session.add(txn)
    session.flush()
    return txn


def build_world(engine: Engine, settings: Settings, *, today: date | None = None) -> World:
    today = today or datetime.now(settings.tz).date()
    received = today - timedelta(days=3)
    issue = today - timedelta(days=400)
    root = settings.data_root
    with Session(engine, expire_on_commit=False) as session:
        users = make_users(session)
        run = Run(kind="nightly", status="succeeded", report_path="reports/run-1.html")
        session.add(run)
        session.flush()

        # 1. 山田 太郎: one uncertain reading -> review
        envelope, pages = _envelope(session, root, "a" * 64, "yamada.pdf", received)
        application = _application(session, envelope, "山田 太郎", "2301000042", received, issue)
        session.add_all(_clean_fields(envelope, application, pages, "2301000042", issue))
        crop = f"store/{envelope.id}/crops/B.exp1_from.png"
        write_png(root / crop, (260, 60), ["2015年4月"])
        uncertain = _field(
            envelope,
            application,
            pages,
            "B",
            "exp1_from",
            "2023-04",
            kind="yearmonth",
            confidence=0.62,
            status="low_confidence",
            raw="2O15年4月",
            crop=crop,
        )
        session.add(uncertain)
        session.flush()
        reevaluate_application(session, application.id, actor=f"run:{run.id}", today=today)
        item, _ = open_or_update(
            session,
            kind="field_review",
            dedupe_key=f"field:{uncertain.id}",
            title_ja="(B) 業務経歴証明書「経歴1 期間 自」: 読取の信頼度が低い",
            severity=Severity.HIGH,
            details={"field": "B.exp1_from", "confidence": 0.62},
            application_id=application.id,
            envelope_id=envelope.id,
            page_id=pages["B"].id,
            field_id=uncertain.id,
            run_id=run.id,
        )

        # 2. 佐々木 花子: 12 months of experience -> ineligible proposed
        envelope2, pages2 = _envelope(session, root, "b" * 64, "sasaki.pdf", received)
        application2 = _application(
            session, envelope2, "佐々木 花子", "2301000077", received, issue
        )
        session.add_all(_clean_fields(envelope2, application2, pages2, "2301000077", issue))
        fields2 = [
            _field(envelope2, application2, pages2, "B", "exp1_from", "2023-04", kind="yearmonth")
        ]
        session.add_all(fields2)
        session.flush()
        reevaluate_application(session, application2.id, actor=f"run:{run.id}", today=today)
        item2, _ = open_or_update(
            session,
            kind="ineligible_proposed",
            dedupe_key=f"decision:{application2.id}",
            title_ja="不認定（案）の確認: 業務経験が5年に足りません",
            severity=Severity.HIGH,
            application_id=application2.id,
            envelope_id=envelope2.id,
            run_id=run.id,
        )

        # 3. A deposit that could be either applicant's
        txn = deposit(session, "t", "ヤマダ タロウ", 11_000, received, status="review")
        session.add(
            PaymentMatch(
                transaction_id=txn.id,
                application_id=None,
                rule="name_only_ambiguous",
                score=88.0,
                candidates=[
                    {
                        "application_id": application.id,
                        "pass_number": "2301000042",
                        "score": 91.0,
                        "via": ["name"],
                        "implicated": True,
                    },
                    {
                        "application_id": application2.id,
                        "pass_number": "2301000077",
                        "score": 64.0,
                        "via": ["name"],
                        "implicated": True,
                    },
                ],
                amount_yen=11_000,
                outcome="review",
                status="proposed",
            )
        )
        item3, _ = open_or_update(
            session,
            kind="payment_review",
            dedupe_key=f"payment:txn:{txn.id}",
            title_ja="入金の確認: 振込名義が複数の申請に該当します",
            severity=Severity.NORMAL,
            transaction_id=txn.id,
            run_id=run.id,
        )
        session.commit()
        return World(
            staff_id=users["sato"],
            staff2_id=users["suzuki"],
            manager_id=users["tanaka"],
            admin_id=users["admin"],
            application_id=application.id,
            field_id=uncertain.id,
            item_id=item.id,
            ineligible_application_id=application2.id,
            ineligible_item_id=item2.id,
            payment_item_id=item3.id,
            transaction_id=txn.id,
            page_ids=[p.id for p in pages.values()],
        )


def resubmission(
    session: Session,
    settings: Settings,
    pass_number: str,
    *,
    with_form_a: bool = True,
    pass_status: str = "ok",
    sha: str = "c",
    payment_status: str = "unpaid",
) -> int:
    """山田 sends another envelope, received yesterday: a new application of his, read cleanly
    (``pass_status``: how sure both readings of the pass number are)."""
    received = datetime.now(settings.tz).date() - timedelta(days=1)
    issue = received - timedelta(days=400)
    envelope, pages = _envelope(session, settings.data_root, sha * 64, "yamada-2.pdf", received)
    app = _application(
        session,
        envelope,
        "山田 太郎",
        pass_number,
        received,
        issue,
        payment_status=payment_status,
        registered=False,  # the register has the pass number already
    )
    fields = _clean_fields(envelope, app, pages, pass_number, issue)
    for f in fields:
        if f.name == "pass_number":
            f.status = pass_status
    session.add_all(fields)
    if not with_form_a:  # documents sent on their own: no application form among them
        pages["A"].form_code = None
        pages["A"].status = "extra"
    session.flush()
    return app.id


def open_informational_item(session: Session, application_id: int, name: str) -> int:
    """Open a 判定に影響なし item on the application's field ``name`` (created if absent)."""
    from sqlalchemy import select

    row = session.scalars(
        select(FieldValue).where(
            FieldValue.application_id == application_id, FieldValue.name == name
        )
    ).first()
    if row is None:
        application = session.get(Application, application_id)
        assert application is not None
        row = FieldValue(
            application_id=application_id,
            envelope_id=application.envelope_id,
            form_code="A",
            name=name,
            kind="text",
            value="東京都千代田区丸の内1-1-1",
            status="low_confidence",
        )
        session.add(row)
    row.decides = False
    session.flush()
    item, _ = open_or_update(
        session,
        kind="data_cleanup",
        dedupe_key=f"field:{row.id}",
        title_ja="読み取りの確認（判定に影響なし）",
        severity=Severity.INFO,
        application_id=application_id,
        field_id=row.id,
    )
    return item.id


# --- an application whose decision waits for a judgement or a payment --------------------


def settle_the_uncertain_reading(session: Session, world: World) -> None:
    """山田's start of experience confirmed as 2015-04 (its item closed): eligible as it stands."""
    from pipeline.storage.models import ReviewItem

    row = session.get(FieldValue, world.field_id)
    assert row is not None
    row.value, row.status, row.confirmed_by = "2015-04", "confirmed", f"user:{world.staff_id}"
    item = session.get(ReviewItem, world.item_id)
    assert item is not None
    item.status = "resolved"
    session.flush()


def set_reading(session: Session, application_id: int, form: str, name: str, value: str) -> None:
    """A reading as a person confirmed it, then the rules again (as after a correction)."""
    from sqlalchemy import select

    row = session.scalars(
        select(FieldValue).where(
            FieldValue.application_id == application_id,
            FieldValue.form_code == form,
            FieldValue.name == name,
        )
    ).one()
    row.value, row.status = value, "confirmed"
    session.flush()
    reevaluate_application(session, application_id, actor="system")


def certifier_from_elsewhere(
    session: Session, world: World, organisation: str = "現在の勤務先株式会社"
) -> None:
    """山田's period attested by a superior of another organisation: 要確認, a judgement."""
    settle_the_uncertain_reading(session, world)
    set_reading(session, world.application_id, "C", "att1_org", organisation)


def proposed_payment(session: Session, world: World, fee_yen: int) -> tuple[int, int]:
    """山田's only deposit, proposed by name alone (a person confirms it): (transaction, match)."""
    from pipeline.payments.store import apply_payment_statuses, payment_statuses

    settle_the_uncertain_reading(session, world)
    application = session.get(Application, world.application_id)
    assert application is not None
    txn = deposit(session, "p", "ﾔﾏﾀﾞ ﾀﾛｳ", fee_yen, application.received_on, status="proposed")
    match = PaymentMatch(
        transaction_id=txn.id,
        application_id=world.application_id,
        rule="name_only",
        score=96.0,
        candidates=[],
        amount_yen=fee_yen,
        outcome="paid",
        status="proposed",
    )
    session.add(match)
    session.flush()
    statuses = payment_statuses(session, fee_yen, [world.application_id])
    apply_payment_statuses(session, statuses, actor="system")
    reevaluate_application(session, world.application_id, actor="system")
    return txn.id, match.id
