"""Open-text themes (issue 17): discovery, the codebook, coding, and what each theme costs.

* `space` — the TF-IDF term space a codebook stores, and one comment per response;
* `discovery` — NMF on TF-IDF finds a first set of themes (`discover_themes`), or, with `method="embeddings"`,
  k-means of sentence embeddings;
* `embeddings` — the optional embedding model (extra `cxroi[embeddings]`), loaded offline, and its clustering;
* `codebook` — the editable, versioned YAML codebook (`Codebook`, `read_codebook`, `to_yaml`, edits);
* `coding` — codes comments deterministically with a codebook: themes 0/1, language, sentiment;
* `language` — which comments are English (only those get VADER sentiment);
* `impact` — themes in the retention and revenue models, churn by theme, revenue at risk by theme;
* `pipeline` — the themes step of `roi.analysis.analyze`;
* `planted` — comments with planted themes and a churn-driving theme, for tests and benchmarks.

Plain Python over pandas; no web or database code. Documented in docs/themes.md.
"""
