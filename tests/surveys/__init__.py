"""Tests of surveys/: the definition format, question types, logic, XLSForm, linter, scoring."""
