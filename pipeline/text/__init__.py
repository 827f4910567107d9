"""Text normalisation shared by the stages (katakana names, widths, dashes)."""
