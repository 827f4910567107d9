"""The passers register as the exam administrator exports it.

CSV, cp932, header ``合格者番号,氏名,フリガナ,試験種別,受験日,発行日,結果``;
dates ``YYYY/MM/DD``; 結果 ``合格`` / ``不合格``. It lists everyone examined, so
it holds many more people than the applicants of any batch.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta

from pipeline.synth import people
from pipeline.synth.records import ApplicantRecord
from pipeline.synth.scenarios import EXAM_CODES

HEADER = ["合格者番号", "氏名", "フリガナ", "試験種別", "受験日", "発行日", "結果"]


def _d(d: date) -> str:
    return f"{d.year}/{d.month:02d}/{d.day:02d}"


def register_rows(
    records: list[ApplicantRecord], rng: random.Random, filler: int
) -> list[list[str]]:
    rows = []
    for r in records:
        rep = r.report
        rows.append(
            [
                rep.pass_number,
                r.name_kanji,
                r.name_kana,
                rep.exam_type,
                _d(rep.exam_date),
                _d(rep.issue_date),
                "合格" if rep.passed else "不合格",
            ]
        )
    used = {row[0] for row in rows}
    while len(rows) < len(records) + filler:
        fam, giv, fk, gk = people.pick_person(rng)
        exam = rng.choice(["CAP", "OMP", "OMP", "SV", "SV", "OP", "EN"])
        exam_date = date(2020, 1, 1) + timedelta(days=rng.randint(0, 1600))
        number = f"{exam_date.year % 100:02d}{EXAM_CODES[exam]}{rng.randint(0, 999999):06d}"
        if number in used:
            continue
        used.add(number)
        passed = rng.random() < 0.75
        rows.append(
            [
                number,
                f"{fam}　{giv}",
                f"{fk}　{gk}",
                exam,
                _d(exam_date),
                _d(exam_date + timedelta(days=rng.randint(21, 45))),
                "合格" if passed else "不合格",
            ]
        )
    rows.sort(key=lambda row: row[0])
    return rows


def register_csv(records: list[ApplicantRecord], rng: random.Random, filler: int = 200) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADER)
    w.writerows(register_rows(records, rng, filler))
    return buf.getvalue().encode("cp932")
