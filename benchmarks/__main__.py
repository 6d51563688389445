"""Run every benchmark suite and write benchmarks/RESULTS.md (see benchmarks/__init__.py)."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import pkgutil
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (f"{platform.system()} {platform.release()}, {os.cpu_count()} logical CPUs ({cpu}){memory}, "
            f"Python {platform.python_version()}")


def _split(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The text before the first '## ' heading, and each level-2 section as (heading line, whole text)."""
    head, *chunks = ("\n" + text).split("\n## ")
    return head, [(chunk.split("\n", 1)[0], "## " + chunk.rstrip("\n") + "\n") for chunk in chunks]


def merge_sections(old: str, new: str) -> str:
    """The old results with each section of the new run put in place of the one with the same heading
    (appended when it is new); the old header is dropped, the caller writes a fresh one."""
    _, old_sections = _split(old)
    _, new_sections = _split(new)
    fresh = dict(new_sections)
    merged = [fresh.pop(heading, text) for heading, text in old_sections]
    merged += [text for heading, text in new_sections if heading in fresh]
    return "\n".join(merged)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--only", action="append", default=[], help="run only these suites (e.g. analysis)")
    parser.add_argument("-o", "--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()

    names = sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))
    if args.only:
        names = [n for n in names if n.removeprefix("bench_") in args.only]
    sections = []
    failed = False
    for name in names:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            sections.append(module.run(quick=args.quick))
        except Exception:  # a failing suite is reported in RESULTS.md and fails the run, others still run
            failed = True
            sections.append(f"## {name}\n\nFAILED:\n\n```\n{traceback.format_exc()}```\n")
        print(f"   {time.perf_counter() - started:.1f} s", flush=True)
    scope = f" (this run: {', '.join(args.only)}; the other sections are kept from earlier runs)" if args.only else ""
    header = (
        "# Benchmark results\n\n"
        f"Written by `make bench` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC{' (quick mode)' if args.quick else ''}"
        f"{scope}.\n\n"
        f"Machine: {machine_description()}.\n\n"
        "The machine is shared and noisy: compare the ratios to the bare baselines measured in the same run, "
        "not absolute seconds across runs.\n"
    )
    body = "\n".join(sections)
    if args.only and args.output.exists():  # keep the other suites' figures: replace only the sections run now
        body = merge_sections(args.output.read_text(), body)
    args.output.write_text(header + "\n" + body)
    print(f"wrote {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
