"""Privacy (issue 14; docs/privacy.md, docs/security.md "Privacy"):

* `erasure` — erasing one customer (`cxroi customers erase`, the admin page), in one transaction;
* `files` — the customer's rows in stored files (report outcomes, recurring wave lists) and their id in reports;
* `retention` — each survey's retention of responses, applied by the queue's daily task in `tasks`;
* `anonymising` — a response without customer id, links and open-text answers;
* `counting` — the results page's tallies kept exact while responses go or change;
* `keys` — keyed hashes: export pseudonyms, the audit log's erased customer, kept opt-outs;
* `views` — the admin page and the links page's retention form.

Nothing is imported here, so `keys` can be used by the export and the mail without loading the rest."""
