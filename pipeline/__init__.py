"""conken-intake: scanned-application intake and certification decisions."""

__version__ = "0.1.0"
