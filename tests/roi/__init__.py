"""Tests of roi/ (helper modules are imported by name: `tests.roi.report_samples`)."""
