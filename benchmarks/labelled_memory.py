"""Peak memory of the SPSS/Stata writer (`webapp.services.export_labelled.write_labelled`) for N responses, in a
fresh process, without a database: the peak resident size is reset after setup (/proc/self/clear_refs, Linux) and
read after writing (VmHWM, also shown as `resource.getrusage` ru_maxrss). Rows come from a generator cycling 1,000
demo responses (roi.synthetic) with unique ids and customer ids, so the source holds no more than those rows.

    python benchmarks/labelled_memory.py 100000 .sav [SOURCE_TREE]

SOURCE_TREE (default: this checkout) measures another checkout of cxroi, e.g. an older commit's. The figures are
in docs/export-spss-stata.md, "Memory"."""

from __future__ import annotations

import gc
import math
import resource
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, sys.argv[3] if len(sys.argv) > 3 else str(Path(__file__).resolve().parents[1]))

import pyreadstat  # noqa: E402,F401

import webapp.app  # noqa: E402,F401  (the package import order the app uses)
from roi.synthetic import build_demo_data  # noqa: E402
from webapp.services.export_labelled import write_labelled  # noqa: E402


def _status(key: str) -> int:
    """A /proc/self/status figure in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def main() -> None:
    n, suffix = int(sys.argv[1]), sys.argv[2]
    demo = build_demo_data(1000, seed=1)
    survey = demo.survey
    sample = demo.responses.head(1000)
    question_columns = survey.columns()[7:]
    columns = [*survey.columns()[:7], "wave", "language", *question_columns]
    records = []
    for record in sample.to_dict("records"):
        cells = {c: (None if isinstance(v, float) and math.isnan(v) else v) for c, v in record.items()}
        records.append({c: cells.get(c) for c in question_columns})
    del demo, sample
    start = datetime(2026, 1, 1)

    def rows():
        for i in range(n):
            row = dict.fromkeys(columns)
            row.update(records[i % len(records)])
            row.update(response_id=i + 1, customer_id=f"C{i:07d}", channel=("email", "web")[i % 2], survey_version=1,
                       started_at=start + timedelta(minutes=i), submitted_at=start + timedelta(minutes=i + 6),
                       status="complete", wave=None, language="en")
            yield row

    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # resets the peak (VmHWM) to the current size
    base = _status("VmHWM")
    rusage_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"r{suffix}"
        count = write_labelled(path, suffix, columns, rows(), [survey])
        size = path.stat().st_size
        frame, _ = (pyreadstat.read_sav if suffix == ".sav" else pyreadstat.read_dta)(str(path), row_limit=3)
    peak = _status("VmHWM")
    rusage_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{suffix} rows={count} columns={len(columns)} file={size / 2**20:.1f} MiB; after setup {base / 1024:.0f} MiB, "
          f"peak while writing {peak / 1024:.0f} MiB: growth {(peak - base) / 1024:.1f} MiB "
          f"({(peak - base) * 1024 / count:.0f} B/row); ru_maxrss {rusage_before / 1024:.0f} -> {rusage_after / 1024:.0f} MiB")
    print(frame.iloc[:2, :9].to_string())


if __name__ == "__main__":
    main()
