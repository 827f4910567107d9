"""Synthetic bank statements in MUFG's 入出金明細 CSV layout.

Layout as the bank exports it: cp932, header
``日付,摘要,摘要内容,支払い金額,預かり金額,差引残高,メモ,未資金化区分,入払区分``,
dates ``2023/4/22`` (no zero padding), amounts with thousands separators (so
quoted by CSV rules). Payer names are full-width katakana as a bank writes
them: no small kana (キョウ → キヨウ), the long vowel as ー, －, ‐ or dropped,
full-width spaces and digits.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from pipeline.synth import people
from pipeline.synth.records import ApplicantRecord

HEADER = [
    "日付",
    "摘要",
    "摘要内容",
    "支払い金額",
    "預かり金額",
    "差引残高",
    "メモ",
    "未資金化区分",
    "入払区分",
]
SMALL_TO_LARGE = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
BANK_PREFIXES = ["ユウチヨ　", "ラクテン　", "ＡＴＭ　", "デンシ　"]
LONG_VOWELS = ["ー", "－", "‐", ""]

EXPECTED = {
    ("exact", "standard"): "paid",
    ("exact", "spaced"): "paid",
    ("exact", "number_after"): "paid",
    ("exact", "bank_prefix"): "paid",
    ("exact", "no_number"): "review",
    ("exact", "company"): "review",
    ("fee_deducted", None): "underpaid",
    ("double", None): "duplicate",
    ("bulk", None): "bulk",
    ("none", None): "unpaid",
}


def expected_outcome(kind: str, style: str) -> str:
    return EXPECTED.get((kind, style)) or EXPECTED[(kind, None)]


def bank_kana(text: str, long_vowel: str) -> str:
    """Katakana as a bank prints it: large kana only, the chosen long-vowel mark."""
    return text.translate(SMALL_TO_LARGE).replace("ー", long_vowel)


def payer_text(record: ApplicantRecord, style: str, rng: random.Random) -> str:
    """What the bank shows as the remitter for this applicant's transfer."""
    lv = rng.choice(LONG_VOWELS)
    fam = bank_kana(record.family_kana, lv)
    giv = bank_kana(record.given_kana, lv)
    digits = record.report.pass_number[-4:].translate(FULLWIDTH_DIGITS)
    if style == "spaced":
        return f"{digits}　{fam}　{giv}"
    if style == "number_after":
        return f"{fam}{giv}{digits}" if rng.random() < 0.5 else f"{fam}　{giv}　{digits}"
    if style == "no_number":
        return f"{fam}　{giv}" if rng.random() < 0.6 else f"{fam}{giv}"
    if style == "bank_prefix":
        return f"{rng.choice(BANK_PREFIXES)}{digits}{fam}{giv}"
    if style == "company":
        org = record.experiences[-1].org if record.experiences else people.pick_org(rng)[0]
        return bank_kana(people.bank_name_of(org), lv)
    return f"{digits}{fam}{giv}"


@dataclass
class StatementRow:
    day: date
    summary: str
    detail: str
    out_yen: int = 0
    in_yen: int = 0
    memo: str = ""
    owners: list[str] = field(default_factory=list)  # envelope ids this row pays for


@dataclass
class Statement:
    rows: list[StatementRow] = field(default_factory=list)
    opening_balance: int = 1_250_000

    def add(self, row: StatementRow) -> None:
        self.rows.append(row)

    def ordered(self) -> list[StatementRow]:
        return sorted(self.rows, key=lambda r: r.day)  # stable: insertion order within a day

    def to_csv(self) -> bytes:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(HEADER)
        balance = self.opening_balance
        for r in self.ordered():
            balance += r.in_yen - r.out_yen
            w.writerow(
                [
                    f"{r.day.year}/{r.day.month}/{r.day.day}",
                    r.summary,
                    r.detail,
                    f"{r.out_yen:,}" if r.out_yen else "",
                    f"{r.in_yen:,}" if r.in_yen else "",
                    f"{balance:,}",
                    r.memo,
                    "",
                    "入金" if r.in_yen else "支払い",
                ]
            )
        return buf.getvalue().encode("cp932")

    def row_numbers(self) -> dict[int, int]:
        """id(row) -> 1-based data row number in the written CSV."""
        return {id(r): i for i, r in enumerate(self.ordered(), start=1)}


def add_noise(statement: Statement, rng: random.Random, start: date, end: date, count: int) -> None:
    """Unrelated deposits and withdrawals over the period."""
    span = max(1, (end - start).days)
    for _ in range(count):
        day = start + timedelta(days=rng.randint(0, span))
        kind = rng.random()
        if kind < 0.35:
            org = rng.choice(people.ORGS)
            amount = rng.choice([5_500, 22_000, 33_000, 55_000, 110_000, 4_400])
            statement.add(
                StatementRow(
                    day,
                    "振込",
                    bank_kana(people.bank_name_of(org[0]), rng.choice(LONG_VOWELS)),
                    in_yen=amount,
                )
            )
        elif kind < 0.5:
            _, _, fk, gk = people.pick_person(rng)
            statement.add(
                StatementRow(
                    day,
                    "振込",
                    bank_kana(f"{fk}　{gk}", "ー"),
                    in_yen=rng.choice([3_300, 5_500, 8_800]),
                )
            )
        elif kind < 0.7:
            payee = rng.choice(
                ["ＮＴＴファイナンス", "トウキョウデンリョク", "ミツビシＵＦＪニコス"]
            )
            statement.add(
                StatementRow(
                    day, "口座振替", bank_kana(payee, "ー"), out_yen=rng.randint(3_000, 80_000)
                )
            )
        elif kind < 0.85:
            statement.add(
                StatementRow(
                    day,
                    "振込",
                    "カ）オデツセイコミユニケ－シヨンズ",
                    out_yen=rng.choice([165_000, 330_000, 220_000]),
                )
            )
        else:
            statement.add(StatementRow(day, "手数料", "振込手数料", out_yen=rng.choice([440, 660])))
