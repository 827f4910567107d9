"""Form designer: lays out the association's form pages and writes ``templates_ocr/*.yaml``.

This is an authoring tool, run by hand when a form's design changes (then bump
VERSION). The YAML files it writes are the source of truth that every stage
reads; nothing in ``pipeline/`` holds a coordinate.

    python templates_ocr/design_forms.py            # rewrite templates_ocr/*.yaml
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "templates_ocr"
VERSION = "v2024.1"
ASSOCIATION = "一般社団法人 日本コンタクトセンター教育検定協会"

# Who fills each form in: the association prints the exam result report, the applicant
# fills (A), (B) and (D), a supervisor (C).
FILLED_BY = {
    "R": "association",
    "A": "applicant",
    "B": "applicant",
    "C": "attester",
    "D": "applicant",
}

# page frame (mm, top-left origin)
X0, X1 = 22.0, 188.0
MARKER_SIZE = 12.0
MARKERS = [
    (0, "TL", (14.0, 14.0)),
    (1, "TR", (196.0, 14.0)),
    (2, "BR", (196.0, 283.0)),
    (3, "BL", (14.0, 283.0)),
]
QR_BOX = [153.0, 6.5, 29.0, 29.0]
PAD = 1.0  # ruling to read-area padding
LABEL_GRAY = 0.90

SEVEN_FIELDS = [
    (1, "ST", "コンタクトセンター戦略"),
    (2, "CS", "カスタマーサービス"),
    (3, "CR", "CRM"),
    (4, "OP", "オペレーション"),
    (5, "HR", "ヒューマンリソースマネジメント"),
    (6, "AR", "センターアーキテクト"),
    (7, "IC", "ICTマネジメント"),
]

JPN = {"lang": "jpn", "psm": 7}
KANA = {
    "lang": "jpn",
    "psm": 7,
    "whitelist": "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨ"
    "ラリルレロワヲンガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポァィゥェォッャュョヴー　 ",
}
# Each distinct OCR setting costs a tesseract start per envelope (about 0.1 s, as
# much as reading a dozen lines), so fields share settings wherever the validator
# rejects what the wider set lets through: dates, year-months and years of
# substitution share one whitelist; pass numbers, row numbers, phones and
# postcodes another; the exam type is read by the plain jpn setting (its Latin
# capitals read as well as with jpn+eng, which costs a start of its own).
# A zero drawn with a dot or slash inside (VL Gothic, monospaced faces) reads 9 or 6 in
# the jpn model; numbers get a second look with the Latin model where engines disagree.
DATE = {"lang": "jpn", "psm": 7, "whitelist": "0123456789年月日/.-現在", "latin_zero_look": True}
YM = DATE
YEARS = DATE
DIGITS = {"lang": "eng", "psm": 7, "whitelist": "0123456789-()", "latin_zero_look": True}
PHONE = DIGITS
POST = DIGITS
EMAIL = {
    "lang": "eng",
    "psm": 7,
    "whitelist": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@._-+",
}
EXAM = JPN


def r2(values: list[float]) -> list[float]:
    return [round(v, 2) for v in values]


@dataclass
class Page:
    form_code: str
    page: int
    title: str
    form_label: str
    fields: list[dict[str, Any]] = field(default_factory=list)
    static: list[dict[str, Any]] = field(default_factory=list)

    # --- static items -------------------------------------------------------
    def text(self, box: list[float], text: str, size: float = 9, **kw: Any) -> None:
        self.static.append({"kind": "text", "box_mm": r2(box), "text": text, "size_pt": size, **kw})

    def para(self, box: list[float], text: str, size: float = 9, **kw: Any) -> None:
        self.static.append(
            {"kind": "paragraph", "box_mm": r2(box), "text": text, "size_pt": size, **kw}
        )

    def rect(self, box: list[float], fill: float | None = None, lw: float = 0.5) -> None:
        item: dict[str, Any] = {"kind": "rect", "box_mm": r2(box), "line_width": lw}
        if fill is not None:
            item["fill_gray"] = fill
        self.static.append(item)

    def label_cell(self, box: list[float], text: str, size: float = 9, **kw: Any) -> None:
        self.rect(box, fill=LABEL_GRAY)
        self.text([box[0] + 1.5, box[1], box[2] - 3, box[3]], text, size, **kw)

    # --- fields ---------------------------------------------------------------
    def fld(self, name: str, label: str, kind: str, frame: list[float], **kw: Any) -> None:
        pad = kw.pop("pad", PAD)
        box = [frame[0] + pad, frame[1] + pad, frame[2] - 2 * pad, frame[3] - 2 * pad]
        spec: dict[str, Any] = {
            "name": name,
            "label_ja": label,
            "kind": kind,
            "box_mm": r2(box),
            "frame_mm": r2(frame),
        }
        spec.update(kw)
        self.fields.append(spec)

    def checkbox(
        self, name: str, label: str, x: float, y: float, size: float = 5.0, **kw: Any
    ) -> None:
        self.fld(name, label, "checkbox", [x, y, size, size], pad=0.5, **kw)

    def row(
        self,
        y: float,
        h: float,
        label: str,
        name: str,
        kind: str,
        *,
        x0: float = X0,
        x1: float = X1,
        lw: float = 40.0,
        **kw: Any,
    ) -> None:
        """A label cell and one value frame spanning the rest of the row."""
        self.label_cell([x0, y, lw, h], label)
        self.fld(name, label, kind, [x0 + lw, y, x1 - x0 - lw, h], **kw)
        if x1 < X1:
            self.rect([x1, y, X1 - x1, h])

    # --- page ---------------------------------------------------------------
    def to_yaml(self) -> dict[str, Any]:
        payload = f"CONKEN|{self.form_code}|{self.page}|{VERSION}"
        head: list[dict[str, Any]] = []
        head.append(
            {
                "kind": "text",
                "box_mm": [X0 + 2, 6.0, 120.0, 6.0],
                "text": ASSOCIATION,
                "size_pt": 9.5,
            }
        )
        head.append(
            {
                "kind": "text",
                "box_mm": [X0 + 2, 12.0, 120.0, 5.0],
                "text": "プロフェッショナル資格認定申請フォーム"
                if self.form_code != "R"
                else "コンタクトセンター検定試験",
                "size_pt": 8,
                "color": "gray",
            }
        )
        head.append(
            {
                "kind": "text",
                "box_mm": [X0, 20.0, 132.0, 12.0],
                "text": self.title,
                "size_pt": 15,
                "bold": True,
            }
        )
        head.append({"kind": "line", "points_mm": [X0, 34.0, 150.0, 34.0], "line_width": 0.8})
        foot = [
            {"kind": "line", "points_mm": [X0, 277.0, X1, 277.0], "line_width": 0.3},
            {
                "kind": "text",
                "box_mm": [X0, 278.5, 60.0, 5.0],
                "text": self.form_label,
                "size_pt": 8,
            },
            {
                "kind": "text",
                "box_mm": [X0 + 40, 278.5, 86.0, 5.0],
                "text": ASSOCIATION,
                "size_pt": 7.5,
                "align": "center",
                "color": "gray",
            },
            {
                "kind": "text",
                "box_mm": [X1 - 40, 278.5, 40.0, 5.0],
                "text": f"{VERSION}　{self.page}ページ",
                "size_pt": 8,
                "align": "right",
            },
        ]
        return {
            "form_code": self.form_code,
            "page": self.page,
            "version": VERSION,
            "title_ja": self.title,
            "form_label": self.form_label,
            "filled_by": FILLED_BY[self.form_code],
            "page_size_mm": [210.0, 297.0],
            "aruco_dictionary": "DICT_4X4_50",
            "markers": [
                {"id": i, "corner": c, "center_mm": list(p), "size_mm": MARKER_SIZE}
                for i, c, p in MARKERS
            ],
            "qr": {"box_mm": QR_BOX, "payload": payload},
            "title_box": [X0, 19.0, 132.0, 14.0],
            "fields": self.fields,
            "static": head + self.static + foot,
        }


def applicant_name_row(p: Page, y: float = 37.0) -> None:
    p.label_cell([112.0, y, 22.0, 9.0], "申請者氏名")
    p.fld(
        "applicant_name",
        "申請者氏名",
        "text",
        [134.0, y, X1 - 134.0, 9.0],
        ocr=JPN,
        validator="nonempty",
        required=True,
        decides=True,
    )


# ---------------------------------------------------------------------------
def report_page() -> Page:
    p = Page("R", 1, "試験結果レポート", "試験結果レポート（合格証明書）")
    p.para(
        [X0, 38.0, X1 - X0, 12.0],
        "下記のとおり、コンタクトセンター検定試験の結果を通知いたします。"
        "本レポートは合格証明書を兼ねます。",
        10,
    )
    y = 54.0
    rows = [
        ("合格者番号", "pass_number", "digits", 11.0, DIGITS, "pass_number", 12),
        ("氏名", "name_kanji", "text", 12.0, JPN, "nonempty", 13),
        ("フリガナ", "name_kana", "katakana", 9.0, KANA, "katakana", 10.5),
        ("試験種別", "exam_type", "text", 10.0, EXAM, "exam_type", 11),
        ("結果", "exam_result", "text", 10.0, JPN, "exam_result", 12),
        ("受験日", "exam_date", "date", 9.0, DATE, "date", 10.5),
        ("発行日", "issue_date", "date", 9.0, DATE, "date", 10.5),
    ]
    for label, name, kind, h, ocr, validator, pt in rows:
        p.row(
            y,
            h,
            label,
            name,
            kind,
            lw=42.0,
            x1=X1,
            ocr=ocr,
            validator=validator,
            required=True,
            decides=True,
            font_pt=pt,
        )
        y += h
    p.para(
        [X0, y + 6, X1 - X0, 40.0],
        "【ご注意】\n・本レポートの有効期間は発行日から3年間です。有効期間内に資格認定申請を行ってください。\n"
        "・プロフェッショナル資格（CAP・OMP）の取得には、別途、資格認定申請が必要です。\n"
        "・スーパーバイザー（SV）・オペレーター（OP）・エントリー（EN）は、"
        "合格をもって資格取得となります。\n・本レポートは再発行いたしません。大切に保管してください。",
        9,
        leading=1.6,
    )
    p.text([100.0, 178.0, 86.0, 6.0], ASSOCIATION, 9.5, align="right")
    p.text([100.0, 184.0, 86.0, 6.0], "検定試験事務局", 9, align="right")
    p.static.append(
        {
            "kind": "seal_mark",
            "box_mm": [166.0, 191.0, 18.0, 18.0],
            "text": "協会之印",
            "color": "red",
            "size_pt": 8,
        }
    )
    return p


def application_page() -> Page:
    p = Page("A", 1, "(A) 資格認定申請書", "様式A　資格認定申請書")
    p.text([X0, 38.0, 100.0, 7.0], f"{ASSOCIATION}　御中", 10)
    p.label_cell([120.0, 37.0, 18.0, 9.0], "申請日")
    p.fld(
        "application_date",
        "申請日",
        "date",
        [138.0, 37.0, X1 - 138.0, 9.0],
        ocr=DATE,
        validator="date",
        required=True,
        decides=False,
    )
    p.text([X0, 49.0, X1 - X0, 7.0], "下記のとおり、プロフェッショナル資格の認定を申請します。", 10)
    y = 58.0
    p.label_cell([X0, y, 40.0, 16.0], "申請資格")
    p.rect([X0 + 40, y, X1 - X0 - 40, 16.0])
    p.checkbox("qual_cap", "申請資格 CAP", 66.0, y + 2.0, required=False, decides=True)
    p.text([73.0, y + 1.5, 90.0, 6.0], "CAP　コンタクトセンターアーキテクチャ", 10)
    p.checkbox("qual_omp", "申請資格 OMP", 66.0, y + 9.0, required=False, decides=True)
    p.text([73.0, y + 8.5, 90.0, 6.0], "OMP　オペレーションマネジメント", 10)
    p.text([148.0, y, 38.0, 16.0], "（いずれか一つに✓）", 8, color="gray", align="right")
    y += 16.0
    p.row(
        y,
        9.0,
        "フリガナ",
        "name_kana",
        "katakana",
        ocr=KANA,
        validator="katakana",
        required=True,
        decides=True,
    )
    y += 9.0
    p.row(
        y,
        13.0,
        "氏名",
        "name_kanji",
        "text",
        ocr=JPN,
        validator="nonempty",
        required=True,
        decides=True,
        font_pt=14,
    )
    y += 13.0
    p.row(
        y,
        9.0,
        "生年月日",
        "birth_date",
        "date",
        x1=110.0,
        ocr=DATE,
        validator="date",
        required=True,
        decides=False,
    )
    y += 9.0
    p.label_cell([X0, y, 40.0, 9.0], "郵便番号")
    p.rect([X0 + 40.0, y, X1 - X0 - 40.0, 9.0])
    p.text([X0 + 41.0, y, 5.0, 9.0], "〒", 10)
    p.fld(
        "postcode",
        "郵便番号",
        "postcode",
        [X0 + 47.0, y, 35.0, 9.0],
        ocr=POST,
        validator="postcode",
        required=True,
        decides=False,
    )
    y += 9.0
    p.row(
        y,
        13.0,
        "住所",
        "address",
        "text",
        ocr={"lang": "jpn", "psm": 7},
        validator="nonempty",
        required=True,
        decides=False,
        font_pt=10,
    )
    y += 13.0
    p.row(
        y,
        9.0,
        "電話番号",
        "phone",
        "phone",
        x1=120.0,
        ocr=PHONE,
        validator="phone",
        required=True,
        decides=False,
    )
    y += 9.0
    p.row(
        y,
        9.0,
        "メールアドレス",
        "email",
        "email",
        ocr=EMAIL,
        validator="email",
        required=False,
        decides=False,
    )
    y += 9.0
    p.label_cell([X0, y, 40.0, 11.0], "合格者番号")
    p.fld(
        "pass_number",
        "合格者番号",
        "digits",
        [X0 + 42.0, y + 0.5, 80.0, 10.0],
        cells=10,
        ocr=DIGITS,
        validator="pass_number",
        required=True,
        decides=True,
        font_pt=13,
        align="center",
        pad=0.8,
    )
    p.rect([X0 + 40.0, y, X1 - X0 - 40.0, 11.0])
    p.text([X0 + 124.0, y, 42.0, 11.0], "（10桁）", 8, color="gray")
    y += 11.0
    p.row(
        y,
        9.0,
        "合格証明書発行日",
        "report_issue_date",
        "date",
        x1=120.0,
        ocr=DATE,
        validator="date",
        required=True,
        decides=True,
    )
    p.text([122.0, y, 66.0, 9.0], "※試験結果レポートの発行日", 7.5, color="gray")
    y += 9.0
    p.label_cell([X0, y, 40.0, 20.0], "署名（自署）")
    p.fld(
        "signature",
        "署名",
        "signature",
        [X0 + 40, y, 100.0, 20.0],
        required=True,
        decides=True,
        pad=1.5,
    )
    p.fld(
        "seal",
        "印",
        "seal",
        [X0 + 144.0, y + 1.0, 18.0, 18.0],
        required=False,
        decides=False,
        pad=0.5,
    )
    y += 24.0
    p.para(
        [X0, y, X1 - X0, 52.0],
        "【記入上の注意】\n"
        "1. 申請資格は CAP・OMP のいずれか一つを選択してください。\n"
        "2. 合格者番号は試験結果レポートに記載の10桁の番号を記入してください。"
        "合格証明書の有効期間は発行日から3年間です。\n"
        "3. 署名欄には必ずご本人が自署してください。\n"
        "4. 本申請書に (B) 業務経歴証明書、(C) 上司もしくは監督者による証明、(D) 宣誓書 "
        "および試験結果レポートのコピーを添えてご送付ください。\n"
        "5. 認定審査手数料 11,000円（10,000円＋消費税10％）を下記口座にお振込みください。"
        "振込手数料はご負担ください。ご氏名の前に合格者番号の下4桁をご記入ください。"
        "（例：0123コンケンタロウ）\n"
        "　　三菱UFJ銀行 新宿中央支店 普通 3176131　"
        "一般社団法人 日本コンタクトセンター教育検定協会",
        8.5,
        leading=1.55,
    )
    y += 54.0
    p.text([X0, y, 40.0, 5.0], "協会使用欄", 7.5, color="gray")
    for i, label in enumerate(["受付日", "受付番号", "入金確認", "審査"]):
        p.rect([X0 + i * 41.5, y + 5.0, 41.5, 5.0], fill=LABEL_GRAY)
        p.text([X0 + i * 41.5, y + 5.0, 41.5, 5.0], label, 7.5, align="center")
        p.rect([X0 + i * 41.5, y + 10.0, 41.5, 10.0])
    return p


def experience_rows(p: Page, first: int, y: float) -> float:
    """Table head and 8 experience rows; returns the y below the table."""
    col_no, col_org, col_from, col_to = X0, X0 + 7.0, X0 + 67.0, X0 + 88.0
    col_f = X0 + 109.0
    fw = (X1 - col_f) / 7.0
    head_h = 14.0
    p.label_cell([col_no, y, 7.0, head_h], "No.", 8, align="center")
    p.label_cell([col_org, y, 60.0, head_h], "組織名（上段）\n部署（下段）", 8.5)
    p.label_cell([col_from, y, 42.0, 6.0], "期間（年月）", 8.5, align="center")
    p.label_cell([col_from, y + 6.0, 21.0, head_h - 6.0], "自", 8.5, align="center")
    p.label_cell([col_to, y + 6.0, 21.0, head_h - 6.0], "至", 8.5, align="center")
    p.label_cell([col_f, y, X1 - col_f, 6.0], "業務の7分野（該当に✓）", 8, align="center")
    for k, (num, code, _ja) in enumerate(SEVEN_FIELDS):
        p.label_cell(
            [col_f + k * fw, y + 6.0, fw, head_h - 6.0], f"{num}\n{code}", 7.5, align="center"
        )
    y += head_h
    row_h = 18.0
    half = row_h / 2
    for i in range(8):
        n = first + i
        yy = y + i * row_h
        p.rect([col_no, yy, 7.0, row_h])
        p.text([col_no, yy, 7.0, row_h], str(n), 9, align="center")
        common = {"row": n, "group": "experience"}
        p.fld(
            f"exp{n}_org",
            f"経歴{n} 組織名",
            "table_cell",
            [col_org, yy, 60.0, half],
            ocr=JPN,
            validator="nonempty",
            required=False,
            decides=True,
            font_pt=9.5,
            **common,
        )
        p.fld(
            f"exp{n}_dept",
            f"経歴{n} 部署",
            "table_cell",
            [col_org, yy + half, 60.0, half],
            ocr=JPN,
            required=False,
            decides=False,
            font_pt=9,
            **common,
        )
        p.fld(
            f"exp{n}_from",
            f"経歴{n} 期間 自",
            "yearmonth",
            [col_from, yy, 21.0, row_h],
            ocr=YM,
            validator="yearmonth",
            required=False,
            decides=True,
            font_pt=9.5,
            **common,
        )
        p.fld(
            f"exp{n}_to",
            f"経歴{n} 期間 至",
            "yearmonth",
            [col_to, yy, 21.0, row_h],
            ocr=YM,
            validator="yearmonth_or_present",
            required=False,
            decides=True,
            font_pt=9.5,
            **common,
        )
        for k, (num, code, ja) in enumerate(SEVEN_FIELDS):
            cx = col_f + k * fw
            p.rect([cx, yy, fw, row_h])
            p.checkbox(
                f"exp{n}_field_{num}",
                f"経歴{n} {num} {ja}（{code}）",
                cx + (fw - 5.0) / 2,
                yy + (row_h - 5.0) / 2,
                decides=True,
                **common,
            )
    return y + 8 * row_h


def seven_fields_legend(p: Page, y: float) -> None:
    items = [f"{n} {ja}（{code}）" for n, code, ja in SEVEN_FIELDS]
    p.text([X0, y, X1 - X0, 5.0], "業務の7分野：" + "　".join(items[:4]), 8)
    p.text([X0, y + 5.0, X1 - X0, 5.0], "　　　　　　" + "　".join(items[4:]), 8)


def career_page(page: int) -> Page:
    title = "(B) 業務経歴証明書" if page == 1 else "(B) 業務経歴証明書（続き）"
    p = Page("B", page, title, f"様式B-{page}　業務経歴証明書")
    applicant_name_row(p)
    seven_fields_legend(p, 48.0)
    y = experience_rows(p, 1 + (page - 1) * 8, 60.0)
    if page == 1:
        y += 2.0
        p.text(
            [X0, y, X1 - X0, 6.0],
            "資格取得・研修受講による代替（業務経験年数の代替は最大2年まで）",
            9.5,
            bold=True,
        )
        y += 6.5
        p.label_cell([X0, y, 7.0, 7.0], "No.", 8, align="center")
        p.label_cell([X0 + 7.0, y, 101.0, 7.0], "資格・研修名", 8.5)
        p.label_cell([X0 + 108.0, y, 32.0, 7.0], "取得・受講年月", 8.5, align="center")
        p.label_cell([X0 + 140.0, y, X1 - X0 - 140.0, 7.0], "代替年数", 8.5, align="center")
        y += 7.0
        for n in range(1, 4):
            common = {"row": n, "group": "substitution"}
            p.rect([X0, y, 7.0, 9.0])
            p.text([X0, y, 7.0, 9.0], str(n), 9, align="center")
            p.fld(
                f"sub{n}_name",
                f"代替{n} 資格・研修名",
                "table_cell",
                [X0 + 7.0, y, 101.0, 9.0],
                ocr=JPN,
                validator="nonempty",
                decides=True,
                font_pt=9.5,
                **common,
            )
            p.fld(
                f"sub{n}_date",
                f"代替{n} 取得・受講年月",
                "yearmonth",
                [X0 + 108.0, y, 32.0, 9.0],
                ocr=YM,
                validator="yearmonth",
                decides=True,
                font_pt=9.5,
                **common,
            )
            p.fld(
                f"sub{n}_years",
                f"代替{n} 代替年数",
                "table_cell",
                [X0 + 140.0, y, X1 - X0 - 140.0 - 8.0, 9.0],
                ocr=YEARS,
                validator="substitution_years",
                decides=True,
                font_pt=10,
                align="center",
                **common,
            )
            p.rect([X1 - 8.0, y, 8.0, 9.0])
            p.text([X1 - 7.0, y, 6.0, 9.0], "年", 9)
            y += 9.0
        notes = (
            "※ 期間は年月で記入し、在職中の場合は「至」欄に「現在」と記入してください。"
            "各経歴について (C) 上司もしくは監督者による証明が必要です。\n"
            "※ 経歴が8件を超える場合は (B) 業務経歴証明書（続き）を使用してください。"
        )
    else:
        notes = (
            "※ 経歴番号は (B) 業務経歴証明書から続けて記入してください。\n"
            "※ 各経歴について (C) 上司もしくは監督者による証明が必要です。"
        )
    p.para([X0, y + 1.5, X1 - X0, 11.0], notes, 7.5, leading=1.4, valign="top")
    return p


ATT_PER_PAGE = 3
ATT_PAGES = 6


def attestation_page(page: int) -> Page:
    p = Page("C", page, "(C) 上司もしくは監督者による証明", f"様式C-{page}　上司・監督者による証明")
    applicant_name_row(p)
    p.para(
        [X0, 48.0, X1 - X0, 12.0],
        "私は、上記申請者が下記の期間、下記の組織において (B) 業務経歴証明書に記載の業務に"
        "従事したことを証明します。（証明者が既に当該組織に所属していない場合も可）",
        9,
        leading=1.5,
    )
    y = 62.0
    for i in range(ATT_PER_PAGE):
        n = (page - 1) * ATT_PER_PAGE + i + 1
        common = {"row": n, "group": "attestation"}
        p.rect([X0, y, X1 - X0, 10.0], fill=0.80)
        p.text([X0 + 2.0, y, 40.0, 10.0], f"証明 {n}", 10.5, bold=True)
        p.text([X0 + 95.0, y, 45.0, 10.0], "対象の経歴番号（B欄 No.）", 8, align="right")
        p.fld(
            f"att{n}_row",
            f"証明{n} 経歴番号",
            "digits",
            [X0 + 142.0, y + 0.8, 20.0, 8.4],
            ocr=DIGITS,
            validator="row_number",
            decides=True,
            font_pt=10.5,
            align="center",
            pad=0.7,
            **common,
        )
        y += 10.0
        p.label_cell([X0, y, 44.0, 10.0], "証明対象の組織名", 8.5)
        p.fld(
            f"att{n}_org",
            f"証明{n} 組織名",
            "text",
            [X0 + 44.0, y, X1 - X0 - 44.0, 10.0],
            ocr=JPN,
            validator="nonempty",
            decides=True,
            **common,
        )
        y += 10.0
        p.label_cell([X0, y, 44.0, 10.0], "期間（年月）", 8.5)
        p.text([X0 + 46.0, y, 6.0, 10.0], "自", 9)
        p.fld(
            f"att{n}_from",
            f"証明{n} 期間 自",
            "yearmonth",
            [X0 + 52.0, y, 45.0, 10.0],
            ocr=YM,
            validator="yearmonth",
            decides=True,
            **common,
        )
        p.text([X0 + 100.0, y, 6.0, 10.0], "至", 9)
        p.fld(
            f"att{n}_to",
            f"証明{n} 期間 至",
            "yearmonth",
            [X0 + 106.0, y, 45.0, 10.0],
            ocr=YM,
            validator="yearmonth_or_present",
            decides=True,
            **common,
        )
        y += 10.0
        p.label_cell([X0, y, 44.0, 10.0], "証明者氏名", 8.5)
        p.fld(
            f"att{n}_name",
            f"証明{n} 証明者氏名",
            "text",
            [X0 + 44.0, y, 56.0, 10.0],
            ocr=JPN,
            validator="nonempty",
            # Who attested informs (staff may call them); what decides is the
            # organisation, the period and the signature (the manual; issue #4's list).
            decides=False,
            **common,
        )
        p.label_cell([X0 + 100.0, y, 22.0, 10.0], "役職（当時）", 8)
        p.fld(
            f"att{n}_title",
            f"証明{n} 役職（当時）",
            "text",
            [X0 + 122.0, y, X1 - X0 - 122.0, 10.0],
            ocr=JPN,
            decides=False,
            **common,
        )
        y += 10.0
        p.label_cell([X0, y, 44.0, 10.0], "証明者の現在の所属・連絡先", 7.5)
        p.fld(
            f"att{n}_contact",
            f"証明{n} 現在の所属・連絡先",
            "text",
            [X0 + 44.0, y, X1 - X0 - 44.0, 10.0],
            ocr=JPN,
            decides=False,
            font_pt=9.5,
            **common,
        )
        y += 10.0
        p.label_cell([X0, y, 44.0, 16.0], "証明者署名（自署）", 8.5)
        p.fld(
            f"att{n}_signature",
            f"証明{n} 証明者署名",
            "signature",
            [X0 + 44.0, y, 72.0, 16.0],
            decides=True,
            pad=1.5,
            **common,
        )
        p.label_cell([X0 + 116.0, y, 12.0, 16.0], "日付", 8.5)
        p.fld(
            f"att{n}_date",
            f"証明{n} 日付",
            "date",
            [X0 + 128.0, y, X1 - X0 - 128.0, 16.0],
            ocr=DATE,
            validator="date",
            decides=False,
            pad=3.5,
            **common,
        )
        y += 16.0 + 5.0
    return p


OATH = (
    "私は、一般社団法人 日本コンタクトセンター教育検定協会（以下「協会」という。）の"
    "プロフェッショナル資格の認定を申請するにあたり、下記の事項を読み、その内容を理解したうえで、"
    "これを順守することを宣誓します。\n"
    "１．コン検の倫理綱領を順守し、コンタクトセンターに関わる専門職として、顧客、"
    "所属組織および社会に対して誠実かつ公正に行動します。\n"
    "２．職業倫理規定に従い、業務上知り得た顧客情報および機密情報を適切に取り扱い、"
    "法令および社会規範を順守します。\n"
    "３．継続教育・学習方針に従い、資格の有効期間を通じて自らの知識と技能の維持・向上に努めます。\n"
    "４．本申請において提出した書類の記載内容はすべて事実であり、虚偽の記載がないことを誓います。"
    "虚偽の記載が判明した場合、認定の取消し等、協会の決定に従います。\n"
    "５．協会が認定審査のために申請内容について照会を行うことに同意します。"
)


def oath_page() -> Page:
    p = Page("D", 1, "(D) 宣誓書", "様式D　宣誓書")
    p.text(
        [X0, 38.0, X1 - X0, 8.0],
        "コン検の倫理綱領・職業倫理規定および継続教育・学習方針の順守への宣誓書",
        11.5,
        bold=True,
        align="center",
    )
    p.text([X0, 52.0, 100.0, 7.0], f"{ASSOCIATION}　御中", 10)
    p.para(
        [X0 + 4.0, 64.0, X1 - X0 - 8.0, 84.0], OATH, 10.5, font="mincho", leading=1.75, valign="top"
    )
    p.text([X0, 150.0, X1 - X0, 8.0], "以上", 10.5, align="right", font="mincho")
    p.text([X0, 166.0, X1 - X0, 8.0], "上記の内容に同意し、宣誓します。", 10.5, font="mincho")
    y = 180.0
    p.label_cell([X0, y, 40.0, 10.0], "日付")
    p.fld(
        "oath_date",
        "日付",
        "date",
        [X0 + 40.0, y, 66.0, 10.0],
        ocr=DATE,
        validator="date",
        required=True,
        decides=False,
    )
    p.rect([X0 + 106.0, y, X1 - X0 - 106.0, 10.0])
    y += 10.0
    p.label_cell([X0, y, 40.0, 13.0], "氏名")
    p.fld(
        "name_kanji",
        "氏名",
        "text",
        [X0 + 40.0, y, X1 - X0 - 40.0, 13.0],
        ocr=JPN,
        validator="nonempty",
        required=True,
        decides=True,
        font_pt=14,
    )
    y += 13.0
    p.label_cell([X0, y, 40.0, 20.0], "署名（自署）")
    p.fld(
        "signature",
        "署名",
        "signature",
        [X0 + 40.0, y, 100.0, 20.0],
        required=True,
        decides=True,
        pad=1.5,
    )
    p.fld(
        "seal",
        "印",
        "seal",
        [X0 + 144.0, y + 1.0, 18.0, 18.0],
        required=False,
        decides=False,
        pad=0.5,
    )
    return p


def all_pages() -> list[Page]:
    pages = [report_page(), application_page(), career_page(1), career_page(2)]
    pages += [attestation_page(i) for i in range(1, ATT_PAGES + 1)]
    pages.append(oath_page())
    return pages


class _Dumper(yaml.SafeDumper):
    pass


def _flow_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(isinstance(v, int | float) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _flow_list)


def main() -> int:
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.yaml"):
        old.unlink()
    for page in all_pages():
        path = OUT / f"{page.form_code}_p{page.page}.yaml"
        header = (
            f"# {page.title} — page {page.page}, {VERSION}\n"
            "# Written by templates_ocr/design_forms.py; mm from the top-left corner, [x, y, w, h].\n"
        )
        body = yaml.dump(
            page.to_yaml(), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100
        )
        path.write_text(header + body, encoding="utf-8")
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
