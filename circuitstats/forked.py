"""Run a CPU-heavy, pure computation in a forked child process and get its bytes back.

Why: the web process serves every request from one Python interpreter, so seconds of pure-Python
work in any of its threads (rendering ~290,000 Prometheus samples at 10,000 gateways) hold the GIL
and stall every request for that long. A forked child sees the parent's memory as it was at the
fork (the immutable snapshot included, copy-on-write, nothing pickled), computes on the machine's
other core, writes its bytes to a pipe and exits; the parent thread only waits on the pipe, which
releases the GIL.

Forking a threaded process is safe for this use because the child runs only the given pure
function over data it already holds: it takes no lock another thread may have held at the fork
(it logs nothing and touches no shared client, pool or store), disables the cyclic GC (which would
also copy every page of the heap it scans), restores default signal handlers (gunicorn's are the
parent's business) and leaves with ``os._exit`` so no atexit handler or buffered file of the
parent runs twice. Where ``fork`` does not exist the function runs in the calling thread.
"""

from __future__ import annotations

import gc
import os
import signal
import struct
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["ChildFailed", "ChildResult", "run_forked"]

_CHUNK = 1 << 20
_HEADER = struct.Struct("!QQ")  # length of the data, the child's private memory in KiB
_SIGNALS_TO_RESET = ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGCHLD", "SIGWINCH")


class ChildFailed(RuntimeError):
    """The child died, was killed or raised: its result is unknown."""


@dataclass(frozen=True)
class ChildResult:
    data: bytes
    private_kb: int  # memory the child held of its own (copied or new pages) at its end; 0 if unknown


def run_forked(produce: Callable[[], bytes]) -> ChildResult:
    """``produce()`` computed in a forked child; raises ``ChildFailed`` if the child fails."""
    if not hasattr(os, "fork"):
        return ChildResult(produce(), private_kb=0)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(produce, write_end)
    os.close(write_end)
    try:
        payload = _read_all(read_end)
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0 or len(payload) < _HEADER.size:
        raise ChildFailed(f"child exited with status {os.waitstatus_to_exitcode(status)}")
    length, private_kb = _HEADER.unpack(payload[: _HEADER.size])
    if length != len(payload) - _HEADER.size:
        raise ChildFailed("the child's answer was cut short")
    return ChildResult(payload[_HEADER.size :], private_kb=private_kb)


def _child(produce: Callable[[], bytes], write_end: int) -> None:
    code = 1
    try:
        gc.disable()
        for name in _SIGNALS_TO_RESET:
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_DFL)
        data = produce()
        _write_all(write_end, _HEADER.pack(len(data), _private_kb()))
        _write_all(write_end, data)
        code = 0
    except BaseException:  # noqa: BLE001 - the parent sees a non-zero exit; nothing else to do here
        code = 1
    finally:
        os._exit(code)


def _private_kb() -> int:
    """This process's private memory (pages it wrote or allocated itself), from Linux's smaps_rollup.

    Resident size would count the pages still shared with the parent, which cost nothing extra.
    """
    try:
        with open("/proc/self/smaps_rollup", encoding="ascii") as rollup:
            fields = dict(line.split(":", 1) for line in rollup if ":" in line)
        return sum(int(fields[name].split()[0]) for name in ("Private_Clean", "Private_Dirty"))
    except (OSError, KeyError, ValueError):
        return 0


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view[:_CHUNK])
        view = view[written:]


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, _CHUNK):
        chunks.append(chunk)
    return b"".join(chunks)
