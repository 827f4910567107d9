"""The payments benchmark: many transactions against many applications.

``conken bench payments`` generates (seeded, in memory) N applications with
katakana names drawn from small name lists (so names and 4-digit suffixes
collide often, as in real life) and a MUFG statement of M transactions:
fee payments written every way the corpus knows (digits before or after,
half width, bank prefix, no digits, fee deducted, paid twice), company bulk
payments, unrelated deposits from people with the same kind of names, and
withdrawals. It times parsing the cp932 file and matching, and checks the
matches against what was generated.
"""

from __future__ import annotations

import random
import time
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from pipeline.payments.matching import (
    ApplicationRecord,
    Deposit,
    MatchSettings,
    match_payments,
)
from pipeline.payments.statements import parse_statement_bytes
from pipeline.vocabulary import MatchStatus

_FAMILY_TEXT = (
    "サトウ スズキ タカハシ タナカ イトウ ワタナベ ヤマモト ナカムラ コバヤシ カトウ ヨシダ ヤマダ "
    "ササキ ヤマグチ マツモト イノウエ キムラ ハヤシ シミズ ヤマザキ モリ アベ イケダ ハシモト "
    "ヤマシタ イシカワ ナカジマ マエダ フジタ オガワ ゴトウ オカダ ハセガワ ムラカミ コンドウ "
    "イシイ サイトウ サカモト エンドウ アオキ フジイ ニシムラ フクダ オオタ ミウラ フジワラ "
    "オカモト マツダ ナカガワ ナカノ ハラダ オノ タムラ タケウチ カネコ ワダ ナカヤマ イシダ"
)
_GIVEN_TEXT = (
    "タロウ ジロウ ハナコ キョウコ ショウタ ユウキ ダイスケ ケンタ ショウ リョウ ユウスケ タクヤ "
    "ナオキ カズヤ マサキ ヒロシ アユミ メグミ ユウコ サチコ ヨウコ マユミ ミホ アヤ ユカ エリ "
    "トモミ チョウジ リュウジ キョウヘイ シュンスケ ユウジ コウジ ジュンコ ケイコ ノリコ マナミ "
    "ユミ サヤカ マイ アイ ナナ ハルカ ミサキ ヒトミ カオリ ジュン シンジ テツヤ マコト ノブオ"
)
FAMILY = tuple(_FAMILY_TEXT.split())
GIVEN = tuple(_GIVEN_TEXT.split())
_SYLLABLES = tuple(
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン"
)
COMPANIES = (
    "コンケンシヨウジ",
    "テストサービス",
    "サンプルコミユニケ-シヨンズ",
    "ミライコ-ルセンタ-",
)


@dataclass(frozen=True)
class _Line:
    day: date
    payer: str
    deposit: int
    withdrawal: int
    app_id: int | None  # the application this payment should end up with (None: none)


def _half(text: str) -> str:
    """Katakana to half width, as some banks print it."""
    table = {unicodedata.normalize("NFKC", chr(c)): chr(c) for c in range(0xFF66, 0xFF9E)}
    out = []
    for char in text:
        base = unicodedata.normalize("NFD", char)
        if base[0] in table:
            out.append(
                table[base[0]] + ("ﾞ" if "\u3099" in base else "ﾟ" if "\u309a" in base else "")
            )
        else:
            out.append(unicodedata.normalize("NFKC", char) if char != "ー" else "ｰ")
    return "".join(out)


def _bank(text: str) -> str:
    """The banks' character set: small kana written large."""
    return text.translate(str.maketrans("ァィゥェォッャュョ", "アイウエオツヤユヨ"))


def generate(
    n_apps: int, n_txns: int, seed: int, fee: int, unrelated_people: float = 0.05
) -> tuple[list[ApplicationRecord], list[_Line]]:
    """Applications and statement lines (see the module docstring)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not security
    numbers = rng.sample(range(10_000_000, 100_000_000), n_apps)
    apps: list[ApplicationRecord] = []
    app_ids: list[int] = []
    for i, number in enumerate(numbers):
        family, given = rng.choice(FAMILY), rng.choice(GIVEN)
        employer = rng.choice(COMPANIES) if rng.random() < 0.2 else None
        apps.append(ApplicationRecord(i + 1, str(number), (f"{family} {given}",), employer))
        app_ids.append(i + 1)
    start = date(2023, 4, 1)
    lines: list[_Line] = []

    def day() -> date:
        return start + timedelta(days=rng.randrange(90))

    for app, app_id in zip(apps, app_ids, strict=True):
        roll = rng.random()
        if roll < 0.10:
            continue  # unpaid
        name = _bank(app.kana[0])
        suffix = app.pass_number[-4:]
        style = rng.randrange(6)
        payer = [
            f"{suffix}{name.replace(' ', '')}",
            f"{suffix} {name}",
            f"{name}　{suffix}",
            _half(f"{suffix}{name}"),
            f"フリコミ {suffix}{name}",
            _half(name),  # no digits
        ][style]
        amount = fee - 440 if roll < 0.15 else fee
        lines.append(_Line(day(), payer, amount, 0, app_id))
        if roll > 0.97:
            lines.append(_Line(day(), payer, fee, 0, app_id))  # paid twice
    for _ in range(max(0, n_apps // 30)):
        lines.append(_Line(day(), f"カ）{rng.choice(COMPANIES)}", fee * rng.randint(2, 5), 0, None))
    while len(lines) < n_txns:
        roll = rng.random()
        if roll < 0.5:
            lines.append(_Line(day(), "デンキダイ", 0, rng.randrange(1_000, 90_000), None))
        elif roll < 0.5 + unrelated_people:
            # people named like applicants paying something else: these go to review
            person = f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}"
            lines.append(_Line(day(), _bank(person), rng.randrange(1_000, 50_000), 0, None))
        else:
            name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(4, 9)))
            payer = f"カ）{name}" if rng.random() < 0.5 else name
            lines.append(_Line(day(), payer, rng.randrange(1_000, 500_000), 0, None))
    lines.sort(key=lambda line: line.day)
    return apps, lines[:n_txns]


def to_mufg_csv(lines: list[_Line]) -> bytes:
    balance = 10_000_000
    out = ["日付,摘要,摘要内容,支払い金額,預かり金額,差引残高,メモ,未資金化区分,入払区分"]
    for line in lines:
        balance += line.deposit - line.withdrawal
        dep = f'"{line.deposit:,}"' if line.deposit else ""
        wd = f'"{line.withdrawal:,}"' if line.withdrawal else ""
        kind = "入金" if line.deposit else "出金"
        out.append(
            f"{line.day.year}/{line.day.month}/{line.day.day},振込,{line.payer},{wd},{dep},"
            f'"{balance:,}",,,{kind}'
        )
    return ("\r\n".join(out) + "\r\n").encode("cp932")


def run_benchmark(
    n_apps: int = 10_000,
    n_txns: int = 100_000,
    seed: int = 1,
    cfg: MatchSettings | None = None,
    unrelated_people: float = 0.05,
) -> dict[str, Any]:
    """Generate, parse, match; return timings (wall and CPU) and accuracy figures.

    ``unrelated_people``: share of the lines that are deposits from people
    named like applicants but paying something else (they all need review).
    """
    cfg = cfg or MatchSettings(fee_yen=11_000, name_min_score=85.0, name_only_min_score=95.0)
    t0 = time.perf_counter()
    apps, lines = generate(n_apps, n_txns, seed, cfg.fee_yen, unrelated_people)
    data = to_mufg_csv(lines)
    t1, c1 = time.perf_counter(), time.process_time()
    parsed = parse_statement_bytes(data, "bench.csv")
    t2, c2 = time.perf_counter(), time.process_time()
    deposits = [
        Deposit(i, r.booked_on, r.deposit_yen, r.payer_raw)
        for i, r in enumerate(parsed.rows)
        if r.is_deposit
    ]
    run = match_payments(apps, deposits, cfg)
    t3, c3 = time.perf_counter(), time.process_time()

    expected = {i: line.app_id for i, line in enumerate(lines)}
    accepted = [r for r in run.results if r.status is MatchStatus.ACCEPTED]
    wrong = sum(1 for r in accepted if expected[cast(int, r.deposit.ref)] != r.application_id)
    payments = sum(1 for line in lines if line.app_id is not None)
    statuses: dict[str, int] = {}
    for status in run.statuses.values():
        statuses[status] = statuses.get(status, 0) + 1
    return {
        "applications": len(apps),
        "transactions": len(parsed.rows),
        "deposits": len(deposits),
        "fee_payments_generated": payments,
        "accepted": len(accepted),
        "accepted_wrong_application": wrong,
        "proposed_or_review": sum(1 for r in run.results if r.status is MatchStatus.PROPOSED),
        "unmatched": sum(1 for r in run.results if r.status is None),
        "statuses": dict(sorted(statuses.items())),
        "seconds_generate": round(t1 - t0, 2),
        "seconds_parse": round(t2 - t1, 2),
        "seconds_match": round(t3 - t2, 2),
        "seconds_parse_and_match": round(t3 - t1, 2),
        "cpu_seconds_parse": round(c2 - c1, 2),
        "cpu_seconds_match": round(c3 - c2, 2),
        "row_problems": len(parsed.problems),
    }
