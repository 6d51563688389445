"""Browser tests: Debian's Chromium through Playwright against a real server, with axe-core."""
