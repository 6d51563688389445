"""Security tests: CSRF, headers, tokens, XSS, fuzzing, and the static tools."""
