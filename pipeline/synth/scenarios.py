"""Applicant records for the cases the pipeline must handle.

Each scenario builds a record by rejection sampling: draw a plausible history,
label it with ``eligibility.assess`` and keep it only if it shows the case the
scenario is for. The labelling is therefore always the rules' own reading, and
the scenario only steers what gets drawn.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from itertools import pairwise
from typing import TypeVar

from pipeline.errors import ValidationError
from pipeline.synth import people
from pipeline.synth.eligibility import assess
from pipeline.synth.records import (
    ApplicantRecord,
    Attestation,
    ExamReport,
    ExamType,
    Experience,
    NameStyle,
    PaymentKind,
    PaymentPlan,
    Qualification,
    RenderOptions,
    Substitution,
)

ALL_FORMS = {"R", "A", "B", "C", "D"}

# scenario -> (weight, reason the record must show)
SCENARIOS: dict[str, tuple[float, str]] = {
    "eligible": (0.30, "eligible"),
    "eligible_overlap": (0.05, "eligible"),
    "eligible_substitution": (0.06, "eligible"),
    "overlap_short": (0.04, "short_total_months"),
    "short_total": (0.07, "short_total_months"),
    "substitution_capped": (0.03, "short_total_months"),
    "single_field": (0.05, "single_field"),
    "short_required": (0.06, "short_required_field_months"),
    "expired": (0.05, "exam_expired"),
    "not_passed": (0.02, "exam_not_passed"),
    "sv_applicant": (0.05, "not_required"),
    "attestation_other_org": (0.06, "attestation_other_org"),
    "attestation_missing": (0.04, "attestation_missing"),
    "oath_unsigned": (0.05, "oath_unsigned"),
    "document_missing": (0.07, "document_missing"),
}

PAYMENTS: list[tuple[float, PaymentKind, NameStyle]] = [
    (0.40, "exact", "standard"),
    (0.08, "exact", "spaced"),
    (0.06, "exact", "number_after"),
    (0.06, "exact", "no_number"),
    (0.05, "exact", "bank_prefix"),
    (0.05, "exact", "company"),
    (0.07, "fee_deducted", "standard"),
    (0.05, "double", "standard"),
    (0.10, "bulk", "company"),
    (0.08, "none", "standard"),
]

EXAM_CODES = {"CAP": "11", "OMP": "12", "SV": "21", "OP": "22", "EN": "23"}


def ym(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


_Choice = TypeVar("_Choice")


def pick_weighted(rng: random.Random, items: list[tuple[float, _Choice]]) -> _Choice:
    total = sum(w for w, _ in items)
    x = rng.random() * total
    for w, name in items:
        x -= w
        if x < 0:
            return name
    return items[-1][1]


def _fields_for(rng: random.Random, need: set[int], with_required: bool, k: int) -> list[int]:
    others = [f for f in range(1, 8) if f not in need]
    chosen = set(rng.sample(others, k=min(k, len(others))))
    if with_required:
        chosen.add(rng.choice(sorted(need)))
    return sorted(chosen)


def _cuts(rng: random.Random, total: int, jobs: int) -> list[int]:
    """Where one job ends and the next begins; every job lasts at least 3 months."""
    if jobs <= 1 or total <= 14:
        return []
    for _ in range(50):
        cuts = sorted(rng.sample(range(6, total - 5), k=min(jobs - 1, total - 11)))
        if all(b - a >= 3 for a, b in pairwise(cuts)):
            return cuts
    return []


def _history(
    rng: random.Random,
    received: date,
    qual: str,
    total: int,
    *,
    required_months: int,
    jobs: int,
    overlap: int = 0,
    single_field: int | None = None,
) -> list[Experience]:
    """Jobs back from the received month: ``total`` months in all, the most recent
    ``required_months`` of them in periods that include a required field."""
    need = {"OMP": {4, 5}, "CAP": {6, 7}}[qual]
    end = received.year * 12 + received.month - 1 - rng.choice([0, 0, 0, 2, 5])
    cuts = _cuts(rng, total, jobs)
    lengths = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
    used: set[str] = set()  # organisation names already used
    out: list[Experience] = []
    cursor = end
    remaining_required = required_months
    for i, length in enumerate(lengths):
        start = cursor - length + 1
        if single_field is not None:
            fields = [single_field]
        else:
            fields = _fields_for(rng, need, remaining_required > 0, rng.choice([1, 1, 2]))
        remaining_required -= length
        org, _ = people.pick_org(rng, used)
        used.add(org)
        ov = overlap if (i == 1 and overlap) else 0
        out.append(
            Experience(
                org=org,
                dept=rng.choice(people.DEPTS),
                start=ym(start),
                end="present"
                if (
                    i == 0
                    and cursor == received.year * 12 + received.month - 1
                    and rng.random() < 0.8
                )
                else ym(cursor + ov),
                fields=fields,
            )
        )
        cursor = start - 1 - rng.choice([0, 0, 0, 1, 3])
    out.reverse()
    return out


def _attest(
    rng: random.Random,
    record_exps: list[Experience],
    app_date: date,
    other_org_row: int | None = None,
    skip_row: int | None = None,
    unsigned_row: int | None = None,
) -> list[Attestation]:
    out: list[Attestation] = []
    for i, exp in enumerate(record_exps, start=1):
        if i == skip_row:
            continue
        fam, giv, _, _ = people.pick_person(rng)
        org = exp.org
        if i == other_org_row:
            org = (
                record_exps[-1].org
                if record_exps[-1].org != exp.org
                else people.pick_org(rng, {exp.org})[0]
            )
        _, _, phone = people.pick_address(rng)
        current = org if rng.random() < 0.7 else people.pick_org(rng)[0]
        out.append(
            Attestation(
                row=i,
                org=org,
                start=exp.start,
                end=exp.end,
                attester_name=f"{fam}　{giv}",
                attester_title=rng.choice(people.TITLES),
                attester_contact=f"{current} {phone}",
                signed=i != unsigned_row,
                date=app_date - timedelta(days=rng.randint(0, 20)),
            )
        )
    return out


def build_record(
    rng: random.Random,
    envelope_id: str,
    scenario: str,
    received: date,
) -> ApplicantRecord:
    """A record showing ``scenario`` (see SCENARIOS); retries draws until it does."""
    if scenario not in SCENARIOS:
        raise ValidationError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    want = SCENARIOS[scenario][1]
    for _ in range(200):
        record = _draw(rng, envelope_id, scenario, received)
        truth = assess(record, ALL_FORMS - set(record.render.missing_forms))
        shows = want in truth.reasons and (want != "eligible" or truth.outcome == "eligible")
        if shows and (scenario.startswith("eligible") or _only_intended(truth.reasons, want)):
            return record
    raise ValidationError(f"could not draw a record for scenario {scenario} in 200 tries")


def _only_intended(reasons: list[str], want: str) -> bool:
    return reasons == [want] or (want == "document_missing" and reasons[0] == want)


def _draw(rng: random.Random, envelope_id: str, scenario: str, received: date) -> ApplicantRecord:
    fam, giv, fam_k, giv_k = people.pick_person(rng)
    post, address, phone = people.pick_address(rng)
    exam_type: ExamType = rng.choice(["CAP", "OMP", "OMP"])
    if scenario == "sv_applicant":
        exam_type = rng.choice(["SV", "SV", "OP", "EN"])
    qual: Qualification | None = exam_type if exam_type in ("CAP", "OMP") else None
    app_date = received - timedelta(days=rng.randint(2, 9))
    issue = received - timedelta(days=rng.randint(40, 1050))
    if scenario == "expired":
        issue = received - timedelta(days=3 * 365 + rng.randint(3, 200))
    exam_date = issue - timedelta(days=rng.randint(21, 45))
    pass_number = f"{exam_date.year % 100:02d}{EXAM_CODES[exam_type]}{rng.randint(0, 999999):06d}"
    report = ExamReport(
        pass_number=pass_number,
        exam_type=exam_type,
        passed=scenario != "not_passed",
        exam_date=exam_date,
        issue_date=issue,
    )
    q = qual or "OMP"
    jobs = rng.choice([1, 2, 2, 3, 3, 4, 4, 5, 6])
    if scenario == "eligible" and rng.random() < 0.12:
        jobs = rng.randint(9, 11)  # a long history: (B) continues on its second page
    subs: list[Substitution] = []
    overlap = 0
    single = None
    if scenario in ("short_total", "overlap_short"):
        total, req = rng.randint(30, 57), rng.randint(24, 30)
    elif scenario == "single_field":
        total, req = rng.randint(62, 120), 0
        single = rng.choice(sorted({"OMP": {4, 5}, "CAP": {6, 7}}[q]))
    elif scenario == "short_required":
        total, req = rng.randint(62, 130), rng.randint(0, 20)
    elif scenario == "eligible_substitution":
        total, req = rng.randint(40, 58), rng.randint(24, 36)
        years = rng.choice([1.0, 1.5, 2.0])
        subs = [
            Substitution(
                name=rng.choice(people.TRAININGS),
                date=ym(received.year * 12 - rng.randint(12, 60)),
                years=years,
            )
        ]
    elif scenario == "substitution_capped":
        total, req = rng.randint(30, 35), rng.randint(24, 30)
        subs = [
            Substitution(name=n, date=ym(received.year * 12 - rng.randint(12, 60)), years=y)
            for n, y in zip(rng.sample(people.TRAININGS, 2), [2.0, 1.0], strict=True)
        ]
    elif scenario == "sv_applicant":
        total, req = rng.randint(12, 40), 12
    else:
        total, req = rng.randint(62, 160), rng.randint(24, 60)
    if scenario in ("eligible_overlap", "overlap_short"):
        jobs = max(jobs, 2)
        overlap = rng.randint(6, 18)
    exps = _history(
        rng,
        received,
        q,
        total,
        required_months=min(req, total),
        jobs=jobs,
        overlap=overlap,
        single_field=single,
    )
    if scenario == "sv_applicant" and rng.random() < 0.5:
        exps = exps[:1]
    other = rng.randint(1, len(exps)) if scenario == "attestation_other_org" else None
    if other is not None and len(exps) == 1:
        exps.append(
            Experience(
                org=people.pick_org(rng, {exps[0].org})[0],
                dept="",
                start=ym(received.year * 12 - 140),
                end=ym(received.year * 12 - 130),
                fields=[2],
            )
        )
        exps.sort(key=lambda e: e.start)
        other = 1
    skip = unsigned = None
    if scenario == "attestation_missing":
        # either no block for one row, or a block the supervisor did not sign
        if rng.random() < 0.6:
            skip = rng.randint(1, len(exps))
        else:
            unsigned = rng.randint(1, len(exps))
    atts = _attest(rng, exps, app_date, other_org_row=other, skip_row=skip, unsigned_row=unsigned)
    missing: list[str] = []
    if scenario == "document_missing":
        missing = [rng.choice(["D", "C", "R", "B"])]
    hand: list[str] = []  # chosen per envelope by ``batch.choose_handwriting``
    kind, style = pick_weighted(rng, [(w, (k, s)) for w, k, s in PAYMENTS])
    if scenario == "sv_applicant":
        kind = rng.choice(["exact", "none"])
    return ApplicantRecord(
        envelope_id=envelope_id,
        received_date=received,
        qualification=qual,
        family_kanji=fam,
        given_kanji=giv,
        family_kana=fam_k,
        given_kana=giv_k,
        birth_date=date(rng.randint(1965, 1996), rng.randint(1, 12), rng.randint(1, 28)),
        postcode=post,
        address=address,
        phone=phone,
        email=people.email_for(rng, fam_k, giv_k) if rng.random() < 0.85 else "",
        application_date=app_date,
        report=report,
        experiences=exps,
        substitutions=subs,
        attestations=atts,
        signed_application=True,
        oath_signed=scenario != "oath_unsigned",
        oath_date=app_date,
        seal=rng.random() < 0.3,
        payment=PaymentPlan(
            kind=kind,
            name_style=style,
            days_after_application=rng.randint(-5, 12),
        ),
        render=RenderOptions(
            handwritten_fields=hand,
            missing_forms=missing,  # type: ignore[arg-type]
            cover_letter=rng.random() < 0.3,
            shuffle=rng.random() < 0.5,
            typed_font=rng.choice(["gothic", "gothic", "mincho"]),
            date_style=rng.choice(["kanji", "kanji", "slash", "padded"]),
            hand_font=rng.randint(0, 5),
        ),
        scenario=scenario,
    )


ScenarioPicker = Callable[[random.Random], str]


def pick_scenario(rng: random.Random) -> str:
    return pick_weighted(rng, [(w, name) for name, (w, _) in SCENARIOS.items()])
