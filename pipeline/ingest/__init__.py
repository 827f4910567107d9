"""Taking scanned files in: inbox, validation, archive, quarantine, duplicates."""
