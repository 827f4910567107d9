"""The rules, one module per group of the manual's criteria.

Each check is a pure function ``(app, readings) -> Finding`` (some groups return
several findings). A check records every fact it reads first and, if any of
them is not confident, returns review: it never fails on an uncertain input.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.rules.checks import (
    attestation,
    certified,
    completeness,
    exam,
    experience,
    fee,
    oath,
    qualification,
)
from pipeline.rules.facts import ApplicationFacts
from pipeline.rules.findings import Finding
from pipeline.rules.readings import Readings

Check = Callable[[ApplicationFacts, Readings], Finding]

# Order is the order findings are shown to staff.
CERTIFICATION_CHECKS: tuple[Check, ...] = (
    # First: whether to certify this candidate at all comes before how well the papers do.
    certified.check_not_already_certified,
    exam.check_passed,
    exam.check_valid_on_receipt,
    exam.check_matches_register,
    experience.check_total_months,
    experience.check_field_count,
    experience.check_required_field_months,
    experience.check_substitution_recognised,
    attestation.check_present,
    attestation.check_same_organisation,
    oath.check_signed,
    fee.check_paid,
    completeness.check_documents,
)

check_qualification = qualification.check_needs_certification

__all__ = ["CERTIFICATION_CHECKS", "Check", "check_qualification"]
