"""Column-mapping profiles: how to read one bank's statement CSV.

A profile is YAML data, not code (``profiles/*.yaml`` are built in; any other
file can be given by path)::

    name: mufg
    encoding: cp932              # any Python codec; utf-8-sig accepts a BOM
    date_formats: ["%Y/%m/%d"]   # tried in order (strptime; %m takes 4 or 04)
    header_search_lines: 10      # the header may follow a few account lines
    delimiter: ","
    columns:                     # our field -> the bank's header text
      date: 日付                 # required
      payer: 摘要内容            # required: the column that holds the payer's name
      deposit: 預かり金額        # deposit and/or withdrawal columns, or ...
      withdrawal: 支払い金額
      amount: 金額               # ... one signed amount column (positive = deposit)
      description: 摘要          # optional
      balance: 差引残高          # optional
      memo: メモ                 # optional
      direction: 入払区分        # optional, with direction_values
    direction_values: {deposit: [入金], withdrawal: [出金]}
"""

from __future__ import annotations

import codecs
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pipeline.errors import ValidationError

BUILTIN_DIR = Path(__file__).resolve().parent / "profiles"


class ColumnMap(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    date: str
    payer: str
    deposit: str | None = None
    withdrawal: str | None = None
    amount: str | None = None
    description: str | None = None
    balance: str | None = None
    memo: str | None = None
    direction: str | None = None

    @model_validator(mode="after")
    def _amounts(self) -> ColumnMap:
        if self.amount is None and self.deposit is None:
            raise ValueError("a profile needs a 'deposit' column or a signed 'amount' column")
        if self.amount is not None and (self.deposit or self.withdrawal):
            raise ValueError("use either 'amount' or 'deposit'/'withdrawal' columns, not both")
        return self

    def required(self) -> list[str]:
        """Header texts that must be present."""
        return [v for v in self.model_dump().values() if v is not None]


class Profile(BaseModel):
    """One bank's CSV layout."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=32)
    description: str = ""
    encoding: str = "utf-8-sig"
    date_formats: tuple[str, ...] = ("%Y/%m/%d",)
    header_search_lines: int = Field(10, ge=1, le=100)
    delimiter: str = Field(",", min_length=1, max_length=1)
    columns: ColumnMap
    direction_values: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @field_validator("encoding")
    @classmethod
    def _known_codec(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError as e:
            raise ValueError(f"unknown encoding {value!r}") from e
        return value

    @field_validator("direction_values")
    @classmethod
    def _directions(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        unknown = set(value) - {"deposit", "withdrawal"}
        if unknown:
            raise ValueError(f"direction_values keys must be deposit/withdrawal, not {unknown}")
        return value


def load_profile_file(path: Path) -> Profile:
    """Read and validate a profile YAML file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ValidationError(f"profile file not found: {path}") from e
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise ValidationError(f"profile {path} is not valid UTF-8 YAML: {e}") from e
    if not isinstance(data, dict):
        raise ValidationError(f"profile {path} must be a YAML mapping")
    try:
        return Profile.model_validate(data)
    except Exception as e:  # pydantic's error: one readable line
        raise ValidationError(f"profile {path} is invalid: {_one_line(e)}") from e


@lru_cache(maxsize=1)
def builtin_profiles() -> tuple[Profile, ...]:
    """The profiles shipped in ``profiles/``, MUFG first."""
    paths = sorted(BUILTIN_DIR.glob("*.yaml"), key=lambda p: (p.stem != "mufg", p.stem))
    return tuple(load_profile_file(p) for p in paths)


def resolve_profile(name_or_path: str) -> Profile:
    """A built-in profile by name, or a profile file by path."""
    for profile in builtin_profiles():
        if profile.name == name_or_path:
            return profile
    path = Path(name_or_path)
    if path.suffix in {".yaml", ".yml"} or path.exists():
        return load_profile_file(path)
    names = ", ".join(p.name for p in builtin_profiles())
    raise ValidationError(f"unknown statement profile {name_or_path!r} (built in: {names})")


def _one_line(error: Exception) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors())
    return str(error)
