"""Privacy (issue 14, docs/security.md "Privacy"): erasing one customer (`erasure`), the per-survey retention of
responses run by the queue (`retention`, its task in `tasks`), keyed-hash pseudonyms for exports and the audit
log (`keys`), the tallies kept exact while responses go (`counting`), and the admin page (`views`).

Nothing is imported here, so `keys` can be used by the export without loading the rest."""
