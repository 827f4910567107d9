"""Benchmarks run as commands (``conken bench …``); their figures go in the README."""
