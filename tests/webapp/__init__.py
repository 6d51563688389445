"""Tests of webapp/: storage, respondent, authoring, results and reports pages, the CLI."""
