"""Synthetic envelopes: filled forms, scanner degradations, side data and ground truth."""

from pipeline.synth.batch import generate_batch, load_records, make_records, render_records
from pipeline.synth.envelope import render_envelope
from pipeline.synth.records import ApplicantRecord
from pipeline.synth.scan import DegradationMix
from pipeline.synth.truth import EnvelopeTruth, read_truth

__all__ = [
    "ApplicantRecord",
    "DegradationMix",
    "EnvelopeTruth",
    "generate_batch",
    "load_records",
    "make_records",
    "read_truth",
    "render_envelope",
    "render_records",
]
