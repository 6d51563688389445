"""Reading an uploaded file in a child process with a memory and a time limit, so that a file built to exhaust
its reader costs the child, never the web worker.

The bounded readers (surveys.bounded) refuse the tricks known today (zip bombs, forged dimensions, YAML aliases);
this is the second wall, for whatever they do not foresee. `run_isolated(task, *args, limits=...)` runs
`task(*args)` in a process forked from a clean server process (multiprocessing's "forkserver": no threads, no
open database connections or sockets of the worker are inherited), whose address space may grow by at most
`limits.memory_mb` MB beyond what the imported libraries take (`RLIMIT_AS`), and waits at most `limits.seconds`.
The task's return value (or the `CxroiError` it raised, e.g. an `InvalidDefinition` with its problems) comes back
to the caller; a child that runs out of memory, is killed, or overruns raises `UploadTooDemanding` (413), a
`CxroiError` whose message says which limit the file needed more than. Settings: `CXROI_UPLOAD_MEMORY_MB`
and `CXROI_UPLOAD_SECONDS` (webapp.config); docs/security.md.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from surveys.errors import CxroiError

T = TypeVar("T")

PRELOADED = ("pandas", "openpyxl", "pyarrow.parquet", "yaml", "surveys.files", "surveys.definition", "roi.data",
             "webapp.app")
"""Imported once by the fork server, so that each child starts in milliseconds rather than importing them.
`webapp.app` comes before any task's module: it imports the web app's modules in the order the web worker does
(a fresh process importing `webapp.services` first runs into the circle services → publishing → webhooks →
audit → services.export, and the fork server would then fail to load the task)."""
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass(frozen=True)
class Limits:
    """What one upload may take to read: memory beyond the libraries (MB) and wall-clock time (seconds)."""

    memory_mb: int
    seconds: float


class UploadTooDemanding(CxroiError, ValueError):
    """A file whose reading needed more memory or time than an upload may take (413)."""

    status = 413


_lock = threading.Lock()
_context: Any = None


def _forkserver(module: str) -> Any:
    """The forkserver context; its server (started with the first child) imports `PRELOADED` and the module of
    the first task run, so that later children start without importing anything."""
    global _context
    with _lock:
        if _context is None:
            _context = multiprocessing.get_context("forkserver")
            _context.set_forkserver_preload([*PRELOADED, module])
        return _context


def run_isolated(task: Callable[..., T], *args: Any, limits: Limits, what: str = "the file") -> T:
    """`task(*args)` run in a child process under `limits`; its result, or the `CxroiError` it raised.

    `task` must be a module-level function and its arguments and result picklable. Raises `UploadTooDemanding`
    naming `what` when the child runs out of memory, dies, or is still reading after `limits.seconds`.
    """
    context = _forkserver(task.__module__)
    reader, writer = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(writer, limits.memory_mb, task, args), daemon=True,
                            name="cxroi-upload-reader")
    child.start()
    writer.close()
    outcome: tuple[str, Any] | None = None
    try:
        if reader.poll(limits.seconds):
            try:
                outcome = reader.recv()
            except (EOFError, OSError):  # the child died without answering (killed, or out of memory)
                outcome = None
        else:
            outcome = ("timeout", None)
    finally:
        reader.close()
        if child.is_alive():
            child.kill()
        child.join(5)
    return _result(outcome, limits, what)


def _result(outcome: tuple[str, Any] | None, limits: Limits, what: str) -> Any:
    advice = ("upload a smaller file (only the rows and columns needed), or use the command line, which has no "
              "such limit; nothing was changed")
    if outcome is None or outcome[0] == "memory":
        raise UploadTooDemanding(f"{what} needed more than {limits.memory_mb} MB of memory to read; {advice}")
    kind, value = outcome
    if kind == "timeout":
        raise UploadTooDemanding(f"{what} needed more than {limits.seconds:g} seconds to read; {advice}")
    if kind == "raised":
        cls, args, state = value
        error = cls.__new__(cls)  # not cls(*args): an error's __init__ may take other arguments than its args
        error.args = args
        error.__dict__.update(state)
        raise error
    if kind == "failed":
        raise CxroiError(f"{what} could not be read: {value}")
    return value


def _child(writer: Connection, memory_mb: int, task: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """In the child: cap the address space, run the task, send back ("ok", result), ("raised", error),
    ("failed", text) or ("memory", None)."""
    import resource

    allowance = memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _address_space() + allowance
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    outcome: tuple[str, Any]
    try:
        outcome = ("ok", task(*args))
    except MemoryError:
        outcome = ("memory", None)
    except Exception as error:  # noqa: BLE001 - sorted below; the parent turns each into a refusal
        outcome = _failure(error)
    try:
        writer.send(outcome)
    except MemoryError:
        writer.send(("memory", None))
    finally:
        writer.close()


OUT_OF_MEMORY = ("malloc", "out of memory", "cannot allocate memory", "bad_alloc", "memoryerror")
"""How C readers (pandas' CSV parser, Arrow) word a failed allocation in the error they raise instead of
MemoryError; a reader's error that says so is the memory limit at work, not a problem of the file."""


def _failure(error: Exception) -> tuple[str, Any]:
    chain: BaseException | None = error
    while chain is not None:
        if isinstance(chain, MemoryError) or (not isinstance(chain, CxroiError)  # not the user's own words
                                              and any(words in str(chain).lower() for words in OUT_OF_MEMORY)):
            return ("memory", None)
        chain = chain.__cause__ or chain.__context__
    if isinstance(error, CxroiError):
        return ("raised", (type(error), error.args, dict(vars(error))))
    return ("failed", f"{type(error).__name__}: {error}"[:2000])


def _address_space() -> int:
    """This process's virtual memory size in bytes (what RLIMIT_AS counts)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[0]) * PAGE
    except (OSError, ValueError, IndexError):
        return 0
