"""Evaluating diagram code in helper processes under hard CPU, memory and wall-clock bounds.

The static policy and the size guards of bpmn.scripts cannot bound every C-level step: comparing two lists
of 100,000 lists of 100,000 items, `str()` of a list built by aliasing or `sorted(l, key=list)` each hold the
interpreter (and its GIL: every other request of the process waits) for seconds or for ever. So scripts,
and expressions not proven trivially bounded (bpmn.scripts.trivially_bounded), run in a helper process:

- started with subprocess (fork + exec of a fresh interpreter: nothing of a multi-threaded parent, its
  locks or its database connections is inherited), lazily, by the process that first needs one (a gunicorn
  worker, the scheduler, a test), at most `workers` per process; an idle one is reused;
- the helper limits itself before it reads any code: RLIMIT_AS (memory) once, and before each evaluation
  RLIMIT_CPU to the CPU time it used so far plus `cpu_seconds` (the kernel ends it with SIGXCPU);
- the parent waits on the pipe without the GIL, at most `wall_seconds`, then kills the helper (SIGKILL)
  and starts another when next needed. So no expression holds a worker longer than `wall_seconds`;
- what comes back is unpickled with a list of allowed classes (plain data, datetimes), never code;
- the host's functions (add_working_time) run in the parent: the helper calls them through the pipe.

A helper that was killed or ran out of memory is replaced; one whose script merely raised is reused.
"""
from __future__ import annotations

import atexit
import builtins
import io
import math
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection

from bpmn.script_guards import ScriptLimitError


@dataclass(frozen=True)
class Limits:
    """The bounds of one evaluation in a helper process ([scripts] in the settings)."""

    cpu_seconds: float = 1.0
    memory_mb: int = 512
    wall_seconds: float = 2.0
    workers: int = 4


STARTUP_SECONDS = 30  #: a helper process that is not ready by then is given up (a broken installation)


class _DataUnpickler(pickle.Unpickler):
    """Unpickle plain data only: the helper ran untrusted code, so its answer may name no other class."""

    ALLOWED = {("datetime", n) for n in ("datetime", "date", "time", "timedelta", "timezone")} | {
        ("builtins", n) for n in ("set", "frozenset", "bytearray", "complex", "range", "slice")} | {
        ("uuid", "UUID"), ("decimal", "Decimal"), ("zoneinfo", "ZoneInfo._unpickle"),
        ("zoneinfo._zoneinfo", "ZoneInfo._unpickle")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise ScriptLimitError(f"the value left by the code cannot be kept: {module}.{name}")
        return super().find_class(module, name)


def _loads(data: bytes):
    return _DataUnpickler(io.BytesIO(data)).load()


def _dumps(value) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


class _Helper:
    """One helper process and the two pipes to it."""

    def __init__(self, limits: Limits):
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        cpu = max(1, math.ceil(limits.cpu_seconds))  # RLIMIT_CPU counts whole seconds
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bpmn.sandbox_child", str(to_child_r), str(from_child_w), str(cpu),
                 str(limits.memory_mb)],
                pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                env=_child_environment(),
                start_new_session=True,  # a terminal's Ctrl-C or a group signal reaches the parent only
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.send = Connection(to_child_w, readable=False)
        self.receive = Connection(from_child_r, writable=False)
        self.pid = self.process.pid
        # Its start (an interpreter, RestrictedPython, SpiffWorkflow) does not count against the first
        # evaluation's wall-clock bound: wait for its word that it is ready.
        try:
            ready = self.receive.poll(STARTUP_SECONDS) and self.receive.recv_bytes() == b"ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            status = self.kill()
            raise ScriptLimitError(f"the evaluation process did not start (status {status}, waited at most "
                                   f"{STARTUP_SECONDS} s)")

    def kill(self) -> int | None:
        """End the helper now; return its exit status (negative: the signal that ended it)."""
        try:
            self.process.kill()
        except ProcessLookupError:
            pass
        self.send.close()
        self.receive.close()
        try:
            return self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        """Ask the helper to end (it exits when its pipe closes); kill it if it does not."""
        self.send.close()
        self.receive.close()
        try:
            self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _child_environment() -> dict[str, str]:
    """This process's environment, with the folder holding the bpmn package first on the helper's path
    (the server may run from anywhere, from a checkout that is not installed)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}


class Sandbox:
    """A lazily started set of helper processes of one OS process, all with the same limits."""

    def __init__(self, limits: Limits = Limits()):
        self.limits = limits
        self._lock = threading.Condition()
        self._idle: list[_Helper] = []
        self._count = 0
        self._pid = os.getpid()
        self.started = 0  #: helpers started so far (tests and the benchmark read it)

    # --- the pool ------------------------------------------------------------------------------------
    def _forget_after_fork(self) -> None:
        # A forked child (gunicorn forks its workers) must not share its parent's helpers and pipes.
        if self._pid != os.getpid():
            for helper in self._idle:  # this process's copies of the parent's pipes: the helper exits on EOF
                helper.send.close()
                helper.receive.close()
            self._lock = threading.Condition()
            self._idle, self._count, self._pid = [], 0, os.getpid()

    def _acquire(self) -> _Helper:
        self._forget_after_fork()
        with self._lock:
            while not self._idle and self._count >= self.limits.workers:
                self._lock.wait()
            if self._idle:
                return self._idle.pop()
            self._count += 1
        try:
            helper = _Helper(self.limits)
        except BaseException:
            with self._lock:
                self._count -= 1
                self._lock.notify()
            raise
        self.started += 1
        return helper

    def _release(self, helper: _Helper, healthy: bool) -> None:
        if not healthy:
            helper.kill()
        with self._lock:
            if healthy and self._pid == os.getpid():
                self._idle.append(helper)
            else:
                self._count -= 1
            self._lock.notify()

    def shutdown(self) -> None:
        """Stop the idle helpers (tests, process exit); busy ones stop when released."""
        if self._pid != os.getpid():
            return
        with self._lock:
            idle, self._idle = self._idle, []
            self._count -= len(idle)
        for helper in idle:
            helper.stop()

    # --- one evaluation ---------------------------------------------------------------------------------
    def run(self, mode: str, source: str, context: dict, external: Mapping | None,
            functions: Mapping[str, Callable], max_lines: int, max_seconds: float):
        """Evaluate ("eval") or execute ("exec") `source` in a helper; return the value or the new data.

        Raises ScriptLimitError when a bound is broken, or the exception the code raised (same type and
        message, raised from a frame at the code's failing line, where SpiffWorkflow looks for it).
        """
        request = _dumps(("run", mode, source, context, dict(external or {}), sorted(functions),
                          max_lines, max_seconds))
        helper = self._acquire()
        healthy = False
        try:
            reply = self._exchange(helper, request, functions)
            healthy = reply[0] == "ok" or reply[1] not in ("MemoryError", "RecursionError")
        finally:
            self._release(helper, healthy)
        if reply[0] == "ok":
            return reply[1]
        _raise(reply, self.limits, source)

    def _exchange(self, helper: _Helper, request: bytes, functions: Mapping[str, Callable]) -> tuple:
        limits = self.limits
        deadline = time.monotonic() + limits.wall_seconds
        try:
            helper.send.send_bytes(request)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not helper.receive.poll(remaining):  # waits without the GIL
                    helper.kill()
                    raise ScriptLimitError(f"stopped after {limits.wall_seconds:g} s of wall-clock time "
                                           f"(the bound); the evaluation was killed")
                reply = _loads(helper.receive.recv_bytes())
                if reply[0] != "call":
                    return reply
                helper.send.send_bytes(_dumps(_call_host(functions, *reply[1:])))
        except (EOFError, BrokenPipeError, ConnectionResetError, OSError) as exc:
            status = helper.kill()
            if status == -signal.SIGXCPU:
                raise ScriptLimitError(f"stopped after {limits.cpu_seconds:g} s of CPU time (the bound); the "
                                       f"evaluation was killed") from None
            raise ScriptLimitError(f"the evaluation process stopped (status {status}): over its CPU or memory "
                                   f"bound ({limits.cpu_seconds:g} s, {limits.memory_mb} MB)") from exc


def _call_host(functions: Mapping[str, Callable], name: str, args: tuple, kwargs: dict) -> tuple:
    """Run one of the host's functions for a helper; its error goes back as type name and message."""
    try:
        return ("ret", functions[name](*args, **kwargs))
    except Exception as exc:  # noqa: BLE001 - the script sees the function's error as its own
        return ("raise", type(exc).__name__, str(exc))


_REBUILT = {name: getattr(builtins, name, None)
            for name in ("ValueError", "TypeError", "KeyError", "IndexError", "NameError", "ZeroDivisionError",
                         "AttributeError", "OverflowError", "ArithmeticError", "AssertionError",
                         "UnboundLocalError", "LookupError", "RuntimeError", "StopIteration")}
_REBUILT = {name: cls for name, cls in _REBUILT.items() if cls is not None}


def _raise(reply: tuple, limits: Limits, source: str):
    """Raise in the parent what the code raised in the helper."""
    _kind, name, message, line = reply
    if name == "MemoryError":
        exc: Exception = ScriptLimitError(f"ran out of its memory bound ({limits.memory_mb} MB)")
    elif name == "RecursionError":
        exc = ScriptLimitError(f"nested too deeply ({message})")
    elif name == "ScriptLimitError":
        exc = ScriptLimitError(message)
    elif name == "ScriptPolicyError":
        from bpmn.scripts import ScriptPolicyError
        exc = ScriptPolicyError([message.removeprefix("script policy: ")], line or 1, source)
    else:
        cls = _REBUILT.get(name)
        exc = cls(message) if cls is not None else RuntimeError(f"{name}: {message}")
    if not line:
        raise exc
    # Raised from a frame of file "<string>" at the failing line: SpiffWorkflow reports that line.
    code = compile("\n" * (line - 1) + "raise exc", "<string>", "exec")
    exec(code, {"exc": exc})  # noqa: S102 - our own one-line raise


_shared: dict[Limits, Sandbox] = {}
_shared_lock = threading.Lock()


def shared(limits: Limits = Limits()) -> Sandbox:
    """The process's sandbox with these limits (one set of helpers per process and limits)."""
    with _shared_lock:
        box = _shared.get(limits)
        if box is None:
            box = _shared[limits] = Sandbox(limits)
        return box


def shutdown_all() -> None:
    """Stop every idle helper of this process (at exit, and after a test session)."""
    for box in list(_shared.values()):
        box.shutdown()


atexit.register(shutdown_all)
