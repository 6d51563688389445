"""Helpers of the web app tests (the fixtures are in tests/webapp/conftest.py)."""
