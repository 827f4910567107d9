"""One exception hierarchy for the whole project.

The library raises; the CLI maps each class to an exit code and prints its
message in one line. Messages name the problem and, where there is one, the fix.
"""

from __future__ import annotations


class ConkenError(Exception):
    """Base class for every error the project raises on purpose."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigurationError(ConkenError):
    """Settings are invalid or a configured file is missing."""

    exit_code = 3


class InputFileError(ConkenError):
    """A file given to us cannot be used as it is (bad format, unreadable, too large)."""

    exit_code = 4


class TemplateError(ConkenError):
    """A form definition in templates_ocr/ is invalid."""

    exit_code = 5


class StorageError(ConkenError):
    """The database or the file store refused an operation."""

    exit_code = 6


class ExternalToolError(ConkenError):
    """An external program (tesseract, pdftoppm) is missing or failed."""

    exit_code = 7


class ValidationError(ConkenError):
    """Input data (JSON, CSV) does not match its documented schema."""

    exit_code = 8


class ConcurrencyError(ConkenError):
    """Another run holds the lock, or a record changed since it was read."""

    exit_code = 9


class RunStoppedError(ConkenError):
    """A run was stopped by a signal; exits like a process killed by it (128 + number)."""

    def __init__(self, message: str, signal_number: int) -> None:
        super().__init__(message)
        self.exit_code = 128 + signal_number
