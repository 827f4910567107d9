"""The association as letters and certificates name it (``templates/association.yaml``)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.errors import TemplateError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PostalAddress(_Strict):
    postcode: str = Field(pattern=r"^\d{3}-\d{4}$")
    lines: list[str] = Field(min_length=1)


class BankAccount(_Strict):
    bank: str = Field(min_length=1)
    type: str = Field(min_length=1)
    number: str = Field(min_length=1)
    holder: str = Field(min_length=1)


class Qualification(_Strict):
    category: str = Field(min_length=1)
    name: str = Field(min_length=1)


class Association(_Strict):
    name: str = Field(min_length=1)
    department: str = Field(min_length=1)
    contact_email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    documents_address: PostalAddress
    bank_account: BankAccount
    qualifications: dict[str, Qualification]
    certificate_signatory: str = ""

    def qualification_name(self, code: str | None) -> str:
        """``オペレーションマネジメント（OMP）``; empty for an unknown or missing code."""
        known = self.qualifications.get(code or "")
        return f"{known.name}（{code}）" if known else ""

    def qualification_category(self, code: str | None) -> str:
        known = self.qualifications.get(code or "")
        return known.category if known else ""


@lru_cache(maxsize=1)
def association() -> Association:
    source = resources.files("pipeline.outputs") / "templates" / "association.yaml"
    try:
        return Association.model_validate(yaml.safe_load(source.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as e:
        raise TemplateError(f"pipeline/outputs/templates/association.yaml is invalid: {e}") from e
