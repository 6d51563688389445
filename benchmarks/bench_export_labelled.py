"""SPSS `.sav` and Stata `.dta` exports (`cxroi responses export SLUG -o FILE.sav|.dta`): time and peak memory.

pyreadstat writes a whole DataFrame and cannot append, so these exports are not constant-memory like CSV: the
rows are gathered into typed column buffers first (webapp/services/export_labelled.py). This suite measures how
much memory that takes per response, at a tenth of the size and at the full size, beside a CSV export of the
same database measured in the same run (the baseline). Full mode: 1,000,000 responses; quick mode: 50,000.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.bench_export import measure_export, seed


def check_file(path: Path, count: int) -> None:
    """The file holds `count` rows and the question texts as variable labels."""
    import pyreadstat

    reader = pyreadstat.read_dta if path.suffix == ".dta" else pyreadstat.read_sav
    _, meta = reader(str(path), metadataonly=True)
    if meta.number_rows != count:
        raise AssertionError(f"{path}: {meta.number_rows} rows, expected {count}")
    if meta.column_names_to_labels.get("q_ces") != "Acme made it easy to get what I needed.":
        raise AssertionError(f"{path}: the variable label of q_ces is missing")


def run(*, quick: bool) -> str:
    """Benchmark suite entry point (see benchmarks/__main__.py)."""
    full = 50_000 if quick else 1_000_000
    results: list[tuple[str, int, float, int, int]] = []
    with tempfile.TemporaryDirectory(prefix="cxroi-bench-labelled-") as folder:
        for size in (full // 10, full):
            url = f"sqlite:///{Path(folder) / f'export-{size}.sqlite3'}"
            seed(url, size)
            for suffix in (".csv", ".sav", ".dta"):
                out = Path(folder) / f"export-{size}{suffix}"
                seconds, peak_kib, _, _ = measure_export(url, out)
                if suffix != ".csv":
                    check_file(out, size)
                results.append((suffix, size, seconds, peak_kib, out.stat().st_size))
                out.unlink()
    peak = {(suffix, size): kib for suffix, size, _, kib, _ in results}
    small, large = full // 10, full
    lines = [
        "## SPSS and Stata exports (labelled; gathered, then written)",
        "",
        "`cxroi responses export SLUG -o FILE.sav|.dta` in a child process over SQLite, the example survey's "
        "complete responses (bulk-inserted), beside a CSV export of the same database in the same run.",
        "",
        "| format | responses | export s | rows/s | time vs CSV | peak MiB | file MiB |",
        "|---|---|---|---|---|---|---|",
    ]
    csv_seconds = {size: seconds for suffix, size, seconds, _, _ in results if suffix == ".csv"}
    for suffix, size, seconds, kib, file_bytes in results:
        lines.append(f"| {suffix} | {size:,} | {seconds:.1f} | {size / seconds:,.0f} | "
                     f"{seconds / csv_seconds[size]:.2f}× | {kib / 1024:.1f} | {file_bytes / 1024 / 1024:.1f} |")
    lines.append("")
    for suffix in (".sav", ".dta"):
        per_response = (peak[(suffix, large)] - peak[(suffix, small)]) * 1024 / (large - small)
        lines.append(f"{suffix}: peak memory grows by {per_response:.0f} bytes per response "
                     f"({(peak[(suffix, large)] - peak[(suffix, small)]) / 1024:.1f} MiB from {small:,} to "
                     f"{large:,}); CSV by {(peak[('.csv', large)] - peak[('.csv', small)]) / 1024:.1f} MiB.")
    return "\n".join(lines) + "\n"
