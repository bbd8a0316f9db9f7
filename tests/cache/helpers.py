"""Test doubles shared by the cache tests: a hand-moved clock, a counting fetch, thread helpers."""

from __future__ import annotations

import threading
import time


class FakeClock:
    """Epoch seconds the test moves by hand, so ages need no sleeping."""

    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


class CountingFetch:
    """A fetch that counts its calls, can be held until released, and returns or raises what it is told."""

    def __init__(self, value=None, error: BaseException | None = None, delay: float = 0.0):
        self.value = value
        self.error = error
        self.delay = delay
        self.calls = 0
        self.started = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self._guard = threading.Lock()

    def __call__(self):
        with self._guard:
            self.calls += 1
            call = self.calls
        self.started.set()
        self.release.wait(10)
        time.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return self.value if self.value is not None else {"call": call}


def wait_until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def run_threads(count: int, target) -> list:
    """Start `count` threads at the same moment; return what each returned or raised."""
    barrier = threading.Barrier(count)
    outcomes: list = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = target()
        except BaseException as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return outcomes
