"""The audit log: an append-only record of who did what and when (`docs/security.md`)."""
