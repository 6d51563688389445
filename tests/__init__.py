"""The test suite (a package, so helper modules are imported by name: `tests.webapp.support`)."""
