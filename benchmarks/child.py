"""One measurement in a fresh process, so its peak memory and imports are its own."""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable
from typing import Any


def measure_in_child(job: Callable[..., None], *args: Any, timeout: float = 3600) -> dict[str, float]:
    """Run `job(*args, queue)` in a spawned process and return the dict it puts on the queue."""
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=job, args=(*args, queue))
    process.start()
    result: dict[str, float] = queue.get(timeout=timeout)
    process.join()
    return result
