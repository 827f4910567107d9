"""Reproducible batches: envelopes, ground truth, the passers register and a statement.

Layout of ``out_dir``::

    envelopes/<id>.pdf, <id>.tiff, <id>_pNN.jpg   the scans (+ <id>.clean.pdf with clean=True)
    truth/<id>.truth.json                           ground truth per envelope
    register/passers.csv                            the exam administrator's export
    statements/mufg_<from>_<to>.csv                 the association's account statement
    batch.json                                      index: seed, envelopes, files, counts

Same seed → byte-identical files: every random draw comes from generators seeded
by (seed, envelope id), PDFs carry fixed metadata, and parallel work is merged in
envelope order.

The API a benchmark calls::

    generate_batch(out_dir, count, seed, *, fonts=None, traits=None, workers=1, ...)

``fonts``: family keys of ``pipeline.forms.fonts.TYPED_FAMILIES`` the typed values
are drawn from (default ``DEFAULT_TYPED_FAMILIES``: every family but IPA's).
``traits``: None draws each envelope's traits from ``mix.traits`` (default
``traits.DEFAULT_PROBABILITIES``); a list gives every envelope exactly these
(``[]``: clean office scans). Each envelope's choices are drawn from their own
generators (seeded by seed and envelope id), so the applicants of a seed are the
same whatever fonts and traits are asked for. Every truth records them (``fill``,
``traits``, ``capture``; each typed field's ``font_family``), and ``batch.json``
lists each envelope's ``font_family`` and ``traits``.
"""

from __future__ import annotations

import json
import logging
import random
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

from pipeline.errors import ValidationError
from pipeline.forms.fonts import check_families
from pipeline.forms.loader import default_templates
from pipeline.forms.schema import FieldKind
from pipeline.synth import bank, registry
from pipeline.synth.envelope import render_envelope
from pipeline.synth.records import ApplicantRecord
from pipeline.synth.scan import DegradationMix
from pipeline.synth.scenarios import SCENARIOS, build_record, pick_scenario
from pipeline.synth.traits import check_traits, draw_traits
from pipeline.synth.truth import EnvelopeTruth, PaymentTruth, write_truth
from pipeline.synth.typeset import choose_style
from pipeline.synth.values import page_plan

log = logging.getLogger(__name__)

DEFAULT_FIRST_RECEIVED = date(2024, 6, 3)
TEXT_KINDS = {
    FieldKind.TEXT,
    FieldKind.KATAKANA,
    FieldKind.DIGITS,
    FieldKind.DATE,
    FieldKind.YEARMONTH,
    FieldKind.TABLE_CELL,
    FieldKind.EMAIL,
    FieldKind.PHONE,
    FieldKind.POSTCODE,
}


def make_records(
    count: int,
    seed: int,
    *,
    handwriting_share: float = 0.15,
    mix: DegradationMix | None = None,
    first_received: date = DEFAULT_FIRST_RECEIVED,
    scenarios: list[str] | None = None,
    fonts: Sequence[str] | None = None,
    traits: Sequence[str] | None = None,
) -> list[ApplicantRecord]:
    """``count`` applicant records, with how they were typed and captured.

    With ``scenarios`` the records cycle through them; otherwise the first
    len(SCENARIOS) cover every scenario once and the rest are drawn by weight.
    ``fonts`` and ``traits`` as in ``generate_batch``.
    """
    mix = mix or DegradationMix.default()
    _check_choices(fonts, traits)
    unknown = [s for s in scenarios or [] if s not in SCENARIOS]
    if unknown:
        raise ValidationError(f"unknown scenario(s) {unknown}; known: {', '.join(SCENARIOS)}")
    rng = random.Random(f"batch:{seed}")  # noqa: S311 - synthetic data, not security
    names = list(SCENARIOS)
    records = []
    for i in range(count):
        if scenarios:
            scenario = scenarios[i % len(scenarios)]
        elif i < len(names) and count >= 4:
            scenario = names[i]
        else:
            scenario = pick_scenario(rng)
        received = first_received + timedelta(days=rng.randint(0, 11))
        record = build_record(rng, f"E{seed}-{i + 1:04d}", scenario, received)
        choose_handwriting(record, rng, handwriting_share)
        choose_upside_down(record, rng, mix.upside_down_share)
        choose_typing(record, seed, fonts)
        choose_traits(record, seed, traits, mix)
        records.append(record)
    rng.shuffle(records)  # scenario order should not follow envelope numbering
    records.sort(key=lambda r: r.envelope_id)
    group_bulk_payers(records, rng)
    return records


def choose_handwriting(record: ApplicantRecord, rng: random.Random, share: float) -> None:
    """Decide, per envelope, whether and where values are written by hand.

    Applicants mostly fill the downloadable forms on a PC; ``share`` of the
    envelopes carry handwriting: a third written entirely by hand, a third with
    a supervisor who filled (C) by hand, a third with a few values added by pen.
    Choices already in the record (``synth --from``) are kept.
    """
    if record.render.handwritten_fields or rng.random() >= share:
        return
    style = rng.choice(("all", "attestation", "some"))
    if style == "all":
        record.render.handwritten_fields = ["*"]
        return
    if style == "attestation" and "C" not in record.render.missing_forms:
        record.render.handwritten_fields = ["C:*"]
        return
    templates = default_templates()
    candidates = [
        f"{plan.form_code}:{name}"
        for plan in page_plan(record)
        if plan.form_code != "R"
        for name, value in plan.printed.items()
        if templates[(plan.form_code, plan.page)].field(name).kind in TEXT_KINDS
        and isinstance(value, str)
    ]
    if candidates:
        record.render.handwritten_fields = rng.sample(
            candidates, min(len(candidates), rng.randint(1, 4))
        )


def _check_choices(fonts: Sequence[str] | None, traits: Sequence[str] | None) -> None:
    if fonts is not None:
        check_families(list(fonts))
    if traits is not None:
        check_traits(traits)


def choose_typing(record: ApplicantRecord, seed: int | str, fonts: Sequence[str] | None) -> None:
    """How the applicant typed: family (from ``fonts``), size, placement."""
    rng = random.Random(f"typing:{seed}:{record.envelope_id}")  # noqa: S311 - synthetic data
    record.render.typed = choose_style(rng, fonts)


def choose_traits(
    record: ApplicantRecord,
    seed: int | str,
    traits: Sequence[str] | None,
    mix: DegradationMix,
) -> None:
    """How the paper travelled and was captured: exactly ``traits``, or drawn from the mix."""
    if traits is not None:
        record.render.traits = sorted(set(traits))
        return
    rng = random.Random(f"traits:{seed}:{record.envelope_id}")  # noqa: S311 - synthetic data
    record.render.traits = draw_traits(rng, mix.traits)


def choose_upside_down(record: ApplicantRecord, rng: random.Random, share: float) -> None:
    if record.render.upside_down or rng.random() >= share:
        return
    missing = set(record.render.missing_forms)
    sheets = sum(1 for p in page_plan(record) if p.form_code not in missing)
    sheets += 1 if record.render.cover_letter else 0
    record.render.upside_down = [rng.randrange(sheets)]


def group_bulk_payers(records: list[ApplicantRecord], rng: random.Random) -> None:
    """Bulk payers go in groups of up to three; a lone one pays for themself."""
    bulk = [r for r in records if r.payment.kind == "bulk"]
    groups = [bulk[i : i + 3] for i in range(0, len(bulk), 3)]
    for n, group in enumerate(groups, start=1):
        if len(group) < 2:
            for r in group:
                r.payment.kind, r.payment.name_style = "exact", "standard"
            continue
        for r in group:
            r.payment.bulk_group = f"BULK{n}"


def build_statement(
    records: list[ApplicantRecord],
    seed: int | str,
) -> tuple[bank.Statement, dict[str, PaymentTruth], date, date]:
    rng = random.Random(f"statement:{seed}")  # noqa: S311 - synthetic data, not security
    start = min(r.application_date for r in records) - timedelta(days=10)
    end = max(r.received_date for r in records) + timedelta(days=7)
    st = bank.Statement(opening_balance=rng.randint(800_000, 2_400_000))
    placed: dict[str, list[bank.StatementRow]] = {}
    fee = 11_000
    groups: dict[str, list[ApplicantRecord]] = {}
    for r in records:
        day = min(
            end, max(start, r.application_date + timedelta(days=r.payment.days_after_application))
        )
        kind = r.payment.kind
        if kind == "bulk" and r.payment.bulk_group:
            groups.setdefault(r.payment.bulk_group, []).append(r)
            continue
        if kind == "none":
            placed[r.envelope_id] = []
            continue
        text = bank.payer_text(r, r.payment.name_style, rng)
        amount = fee - rng.choice([440, 660, 330]) if kind == "fee_deducted" else fee
        row = bank.StatementRow(day, "振込", text, in_yen=amount, owners=[r.envelope_id])
        st.add(row)
        placed[r.envelope_id] = [row]
        if kind == "double":
            again = bank.StatementRow(
                day + timedelta(days=rng.randint(0, 6)),
                "振込",
                bank.payer_text(r, r.payment.name_style, rng),
                in_yen=fee,
                owners=[r.envelope_id],
            )
            st.add(again)
            placed[r.envelope_id].append(again)
    for members in groups.values():
        lead = members[0]
        day = min(end, lead.application_date + timedelta(days=rng.randint(0, 5)))
        text = bank.payer_text(lead, "company", rng)
        row = bank.StatementRow(
            day, "振込", text, in_yen=fee * len(members), owners=[m.envelope_id for m in members]
        )
        st.add(row)
        for m in members:
            placed[m.envelope_id] = [row]
    bank.add_noise(st, rng, start, end, max(6, len(records) // 2))
    numbers = st.row_numbers()
    name = f"mufg_{start:%Y%m%d}_{end:%Y%m%d}.csv"
    truths: dict[str, PaymentTruth] = {}
    for r in records:
        rows = placed.get(r.envelope_id, [])
        truths[r.envelope_id] = PaymentTruth(
            expected_outcome=bank.expected_outcome(r.payment.kind, r.payment.name_style),  # type: ignore[arg-type]
            kind=r.payment.kind,
            name_style=r.payment.name_style,
            statement=name if rows else None,
            rows=[numbers[id(row)] for row in rows],
            amounts=[row.in_yen for row in rows],
            payer_texts=[row.detail.encode("cp932").decode("cp932") for row in rows],
            bulk_group=r.payment.bulk_group,
            bulk_members=sorted({o for row in rows for o in row.owners})
            if r.payment.bulk_group
            else [],
        )
    return st, truths, start, end


def _render_one(
    args: tuple[ApplicantRecord, Path, int | str, bool, DegradationMix],
) -> EnvelopeTruth:
    record, out, seed, clean, mix = args
    return render_envelope(record, out, seed, clean=clean, mix=mix)


def render_records(
    records: list[ApplicantRecord],
    out_dir: Path,
    seed: int | str,
    *,
    clean: bool = False,
    mix: DegradationMix | None = None,
    workers: int = 1,
    register_filler: int = 200,
    fonts: Sequence[str] | None = None,
    traits: Sequence[str] | None = None,
) -> list[EnvelopeTruth]:
    """Render given records with their register and statement; writes everything to out_dir.

    The records' own typing and traits are kept unless ``fonts`` (typing drawn anew
    from these families) or ``traits`` (exactly these) are given."""
    if not records:
        raise ValidationError("no applicant records to render")
    ids = [r.envelope_id for r in records]
    if len(set(ids)) != len(ids):
        raise ValidationError("envelope_id values must be unique")
    mix = mix or DegradationMix.default()
    _check_choices(fonts, traits)
    for record in records:
        if fonts is not None:
            choose_typing(record, seed, fonts)
        if traits is not None:
            choose_traits(record, seed, traits, mix)
    env_dir, truth_dir = out_dir / "envelopes", out_dir / "truth"
    for d in (env_dir, truth_dir, out_dir / "register", out_dir / "statements"):
        d.mkdir(parents=True, exist_ok=True)
    jobs = [(r, env_dir, seed, clean, mix) for r in records]
    if workers > 1 and len(records) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            truths = list(pool.map(_render_one, jobs))
    else:
        truths = [_render_one(j) for j in jobs]
    statement, payments, start, end = build_statement(records, seed)
    stmt_name = f"mufg_{start:%Y%m%d}_{end:%Y%m%d}.csv"
    (out_dir / "statements" / stmt_name).write_bytes(statement.to_csv())
    reg = registry.register_csv(records, random.Random(f"register:{seed}"), register_filler)  # noqa: S311 - synthetic data, not security
    (out_dir / "register" / "passers.csv").write_bytes(reg)
    for t in truths:
        t.payment = payments[t.envelope_id]
        t.decision_reasons = decision_reasons(t)
        write_truth(t, truth_dir)
    _write_index(out_dir, seed, truths, stmt_name)
    log.info("synth: %d envelopes written to %s", len(truths), out_dir)
    return truths


def decision_reasons(truth: EnvelopeTruth) -> list[str]:
    """All reason codes for the final decision: eligibility's, then the fee's."""
    reasons = list(truth.eligibility.reasons)
    if truth.eligibility.outcome == "not_required" or truth.payment is None:
        return reasons
    fee = truth.payment.expected_outcome
    if fee in ("unpaid", "underpaid"):
        reasons = [r for r in reasons if r != "eligible"] + [fee]
    return reasons


def generate_batch(
    out_dir: Path,
    count: int,
    seed: int,
    *,
    clean: bool = False,
    mix: DegradationMix | None = None,
    handwriting_share: float = 0.15,
    workers: int = 1,
    scenarios: list[str] | None = None,
    fonts: Sequence[str] | None = None,
    traits: Sequence[str] | None = None,
) -> list[EnvelopeTruth]:
    """A reproducible batch of ``count`` envelopes (see the module docstring)."""
    if count < 1:
        raise ValidationError("count must be at least 1")
    if not 0 <= handwriting_share <= 1:
        raise ValidationError("handwriting share must be between 0 and 1")
    mix = mix or DegradationMix.default()
    records = make_records(
        count,
        seed,
        handwriting_share=handwriting_share,
        mix=mix,
        scenarios=scenarios,
        fonts=fonts,
        traits=traits,
    )
    return render_records(records, out_dir, seed, clean=clean, mix=mix, workers=workers)


def _write_index(
    out_dir: Path, seed: int | str, truths: list[EnvelopeTruth], statement: str
) -> None:
    index = {
        "seed": str(seed),
        "count": len(truths),
        "register": "register/passers.csv",
        "statements": [f"statements/{statement}"],
        "scenarios": dict(sorted(Counter(t.scenario for t in truths).items())),
        "outcomes": dict(sorted(Counter(t.eligibility.outcome for t in truths).items())),
        "payments": dict(
            sorted(Counter(t.payment.expected_outcome for t in truths if t.payment).items())
        ),
        "font_families": dict(
            sorted(Counter(t.fill.font_family for t in truths if t.fill).items())
        ),
        "traits": dict(sorted(Counter(k for t in truths for k in t.traits).items())),
        "envelopes": [
            {
                "envelope_id": t.envelope_id,
                "files": {k: [f"envelopes/{f}" for f in v] for k, v in t.files.items()},
                "truth": f"truth/{t.envelope_id}.truth.json",
                "scenario": t.scenario,
                "outcome": t.eligibility.outcome,
                "font_family": t.fill.font_family if t.fill else None,
                "traits": t.traits,
            }
            for t in truths
        ],
    }
    (out_dir / "batch.json").write_text(
        json.dumps(index, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


def load_records(path: Path) -> list[ApplicantRecord]:
    """Applicant records from a JSON file (a list of records, or {"records": [...]})."""
    from pydantic import TypeAdapter
    from pydantic import ValidationError as PydanticValidationError

    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ValidationError(f"{path}: cannot read records: {e}") from e
    except json.JSONDecodeError as e:
        raise ValidationError(f"{path}: not valid JSON: {e}") from e
    if isinstance(raw, dict):
        raw = raw.get("records", raw)
    try:
        return TypeAdapter(list[ApplicantRecord]).validate_python(raw)
    except PydanticValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ValidationError(
            f"{path}: invalid applicant record at {loc}: {first['msg']} "
            f"({e.error_count()} problem(s))"
        ) from e
