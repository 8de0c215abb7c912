"""Run work that may take unbounded time in a worker process that can be stopped.

sympy can take unbounded time and memory on innocent-looking input, and much of that
time is spent inside single C calls (big-integer arithmetic) that no thread can
interrupt: a thread that has timed out keeps running and keeps the interpreter busy. So
the checking process never runs sympy itself. `Worker.run` hands a task to one reusable
child process and waits for it until its deadline; a task that runs late has its process
killed and a fresh one started at once in the background, and the caller gets
`CheckTimeout` on time. The child also caps its own memory and CPU time, so that even a
child whose parent died mid-task cannot grow without bound.

The child is a plain interpreter started with `python -c` (not multiprocessing): it
shares nothing with its parent but two pipes that carry pickled tasks and replies, so it
never re-imports the caller's main script and never touches the terminal, which a
full-screen app owns (its output goes nowhere, and it runs in a session of its own, out
of reach of the terminal's Ctrl-C).

A task is named as "module:function" (so that the parent never imports what only the
child runs: sympy stays out of the checking process altogether), with picklable
arguments such as expression trees. Starting a worker (importing sympy) takes about half
a second. The first
start of a process is waited for, as an import would be; after a kill, the next tasks
wait for the new worker only within their own deadline, so every later call returns on
time.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import os
import pickle
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any, Final

from engine.errors import CheckTimeout, EngineError, EvaluationError

try:
    import resource
except ImportError:  # not on Windows: the worker runs without its own limits there
    resource = None  # type: ignore[assignment]

Reply = tuple[str, Any]  # ("ready" | "ok" | "error" | "gone", payload)

START_LIMIT_S: Final = 60.0  # starting a worker on a slow, busy machine; never reached in practice
MIN_TASK_S: Final = 0.05  # a task left less time than this (by a worker still starting) is not sent
MEMORY_HEADROOM: Final = 1 << 30  # bytes a task may allocate beyond what the worker holds at start
TASK_CPU_LIMIT_S: Final = 30  # CPU seconds a task may use if no parent stops it first

# The child's first line: the parent's import path, then the rest of this module. A
# constant: nothing a learner types is ever part of it.
_BOOTSTRAP: Final = (
    "import pickle, sys; sys.path[:0] = pickle.load(sys.stdin.buffer); "
    "from engine.checking.timeouts import serve; serve()"
)


class Worker:
    """One reusable child process that runs tasks with a deadline.

    `preload` names the modules the child imports, and `prime` (a task without arguments)
    is run once, before the child reports ready, so that the deadline of the first task
    does not pay for imports and cold caches. Safe to share between threads: tasks run
    one at a time.
    """

    def __init__(self, preload: tuple[str, ...], prime: str | None = None) -> None:
        self.preload = preload
        self.prime = prime
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._replies: queue.Queue[Reply] = queue.Queue()
        self._ready = False
        self._ever_ready = False
        atexit.register(self._kill)

    def warm(self, *, wait: bool = False) -> None:
        """Start the child if none is running; with `wait`, return once it is ready
        (`CheckTimeout` if it cannot start), else at once."""
        with self._lock:
            if wait:
                self._wait_until_ready("starting the worker", START_LIMIT_S)
            elif not self._running():
                self._start()

    def run(self, task: str, args: tuple[Any, ...], seconds: float, what: str) -> Any:
        """The result of `task(*args)` in the child ("module:function"), or `CheckTimeout`
        once `seconds` have passed (plus, on the process's first call, the worker's start).

        An `EngineError` raised by the task is raised here; any other failure in the child
        becomes an `EvaluationError` that names it.
        """
        request = pickle.dumps((task, args))
        deadline = time.monotonic() + seconds
        if not self._lock.acquire(timeout=START_LIMIT_S + seconds):
            raise CheckTimeout(f"{what} could not start: the worker stayed busy")
        try:
            first = not self._ever_ready
            self._wait_until_ready(what, START_LIMIT_S if first else deadline - time.monotonic())
            if first:
                deadline = time.monotonic() + seconds
            remaining = deadline - time.monotonic()
            if remaining < MIN_TASK_S:
                raise CheckTimeout(f"{what} could not start in time: the worker is still starting")
            try:
                self._send(request)
                status, payload = self._replies.get(timeout=remaining)
            except queue.Empty:
                self._replace()
                raise CheckTimeout(f"{what} took longer than {seconds:g} s and was stopped") from None
            except OSError as error:  # the child is gone: its pipe is closed
                self._replace()
                raise EvaluationError(f"{what} stopped the worker") from error
            if status == "gone":  # it died during the task (killed for its memory or CPU time)
                self._replace()
                raise EvaluationError(f"{what} stopped the worker")
        finally:
            self._lock.release()
        if status == "ok":
            return payload
        if isinstance(payload, EngineError):
            raise payload
        raise EvaluationError(f"{what} failed: {payload}")

    def close(self) -> None:
        """Stop the child (a later `run` starts a new one)."""
        with self._lock:
            self._stop()

    # -- the child's life, with the lock held --------------------------------------------

    def _running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _start(self) -> None:
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", _BOOTSTRAP],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # not in the terminal's foreground group (POSIX)
            )
        except (OSError, ValueError) as error:
            raise EngineError(f"the worker process could not start: {error}") from error
        assert process.stdin is not None and process.stdout is not None
        replies: queue.Queue[Reply] = queue.Queue()
        threading.Thread(
            target=_read_replies, args=(process.stdout, replies), name="quizapp-worker-replies", daemon=True
        ).start()
        self._process, self._replies, self._ready = process, replies, False
        try:
            self._send(pickle.dumps(list(sys.path)))
            self._send(pickle.dumps((self.preload, self.prime)))
        except OSError:
            pass  # it died at once: the wait for its ready reply says so

    def _send(self, message: bytes) -> None:
        assert self._process is not None and self._process.stdin is not None
        self._process.stdin.write(message)
        self._process.stdin.flush()

    def _wait_until_ready(self, what: str, patience: float) -> None:
        """A ready child, started if none runs; `CheckTimeout` if it is not ready within
        `patience` (it goes on starting) or fails to start."""
        if not self._running():
            self._stop()
            self._start()
        if self._ready:
            return
        try:
            status, _ = self._replies.get(timeout=max(0.0, patience))
        except queue.Empty:
            raise CheckTimeout(f"{what} could not start in time: the worker is still starting") from None
        if status != "ready":
            self._stop()
            raise CheckTimeout(f"{what} could not start: the worker did not come up")
        self._ready = self._ever_ready = True

    def _replace(self) -> None:
        """Kill the child and start the next one now, so it is warm by the next task."""
        self._stop()
        with contextlib.suppress(EngineError):  # the next `run` tries again and reports it
            self._start()

    def _stop(self) -> None:
        self._kill()
        if self._process is not None and self._process.stdin is not None:
            with contextlib.suppress(OSError):
                self._process.stdin.close()
        self._process, self._ready = None, False

    def _kill(self) -> None:
        """Kill the child, if any, and reap it (also at exit: no lock, nothing else)."""
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)


def _read_replies(stream: IO[bytes], replies: queue.Queue[Reply]) -> None:
    """Parent side: move the child's replies into `replies` until its output ends."""
    with stream:
        try:
            while True:
                replies.put(pickle.load(stream))
        except Exception:  # EOF: the child exited or was killed
            replies.put(("gone", None))


# -- the child ------------------------------------------------------------------------------


def serve() -> None:
    """The child's side (started by `Worker`): set up, report ready, run tasks until the
    parent closes the pipe (or dies)."""
    requests = sys.stdin.buffer
    replies = os.fdopen(os.dup(1), "wb")  # the protocol's own copy of stdout
    _silence_output()
    preload, prime = pickle.load(requests)
    for module in preload:
        importlib.import_module(module)
    if prime is not None:
        with contextlib.suppress(Exception):  # an optimisation only
            _named(prime)()
    _limit_memory()
    _reply(replies, ("ready", None))
    while True:
        try:
            task, args = pickle.load(requests)
        except EOFError:
            return
        except Exception as error:  # a request that cannot be unpickled
            _reply(replies, ("error", f"{type(error).__name__}: {error}"))
            continue
        _limit_cpu()
        try:
            reply: Reply = ("ok", _named(task)(*args))
        except EngineError as error:
            reply = ("error", error)
        except Exception as error:
            reply = ("error", f"{type(error).__name__}: {error}")
        _reply(replies, reply)


def _named(task: str) -> Callable[..., Any]:
    """The function "module:function" names."""
    module, _, name = task.partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return function


def _reply(stream: IO[bytes], reply: Reply) -> None:
    try:
        message = pickle.dumps(reply)
    except Exception as error:  # a result that cannot travel
        message = pickle.dumps(("error", f"{type(error).__name__}: {error}"))
    stream.write(message)
    stream.flush()


def _silence_output() -> None:
    """Point the child's stdout and stderr at nothing, so that a stray print can neither
    corrupt the replies nor draw over the parent's full-screen app."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


def _limit_memory() -> None:
    """Cap the child's address space at what it holds now plus `MEMORY_HEADROOM`, so a
    runaway task fails with `MemoryError` instead of swapping the machine (Linux only)."""
    if resource is None:
        return
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            held = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = held + MEMORY_HEADROOM
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a kill for CPU time leaves no core file
    except (OSError, ValueError):
        pass


def _limit_cpu() -> None:
    """Let the next task use at most `TASK_CPU_LIMIT_S` more CPU seconds, then die (SIGXCPU).

    The parent kills a late task long before; this bounds a task whose parent is gone.
    """
    if resource is None:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    limit = int(usage.ru_utime + usage.ru_stime) + TASK_CPU_LIMIT_S
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (limit, hard))
    except (OSError, ValueError):
        pass
