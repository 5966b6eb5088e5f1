"""The helper process of bpmn.sandbox: `python -m bpmn.sandbox_child READ_FD WRITE_FD CPU_SECONDS MEMORY_MB`.

It limits its own memory before reading any request, and its CPU time before each one, then answers
requests until its pipe closes. The code runs with bpmn.scripts' restricted environment (the same policy,
guards, line and time bounds as in-process); the host's functions are proxies that call the parent.
"""
from __future__ import annotations

import pickle
import resource
import signal
import sys
import traceback
from multiprocessing.connection import Connection


def _limit_memory(memory_mb: int) -> None:
    limit = memory_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _limit_cpu(cpu_seconds: int) -> None:
    """Let this request use `cpu_seconds` more CPU seconds; past them the kernel sends SIGXCPU (fatal)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime) + 1
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = used + cpu_seconds
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _failing_line(exc: BaseException) -> int:
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == "<string>":
            return frame.lineno or 0
    return getattr(exc, "lineno", 0) if isinstance(exc, SyntaxError) else 0


def main(argv: list[str]) -> None:
    read_fd, write_fd, cpu_seconds, memory_mb = (int(a) for a in argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    receive, send = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    from bpmn.script_guards import check_data_size
    from bpmn.scripts import RestrictedEnvironment

    def proxy(name: str):
        def call(*args, **kwargs):
            send.send_bytes(pickle.dumps(("call", name, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL))
            reply = pickle.loads(receive.recv_bytes())  # noqa: S301 - from the parent
            if reply[0] == "ret":
                return reply[1]
            raise ValueError(f"{name}(): {reply[2]}") if reply[1] == "ValueError" else RuntimeError(
                f"{name}(): {reply[1]}: {reply[2]}")
        call.__name__ = name
        return call

    _limit_memory(memory_mb)
    send.send_bytes(b"ready")
    while True:
        try:
            request = receive.recv_bytes()
        except (EOFError, OSError):
            return
        _limit_cpu(cpu_seconds)
        try:
            _kind, mode, source, context, external, names, max_lines, max_seconds = pickle.loads(request)  # noqa: S301
            env = RestrictedEnvironment({n: proxy(n) for n in names}, max_lines=max_lines,
                                        max_seconds=max_seconds, sandbox=None)
            if mode == "eval":
                value = env.evaluate(source, context, external)
            else:
                env.execute(source, context, external)
                check_data_size(context)
                value = context
            reply = pickle.dumps(("ok", value), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as exc:  # noqa: BLE001 - every failure is the code's, reported to the parent
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            message = str(exc) if not isinstance(exc, pickle.PicklingError) else f"the value cannot be kept: {exc}"
            name = type(exc).__name__ if not isinstance(exc, (pickle.PicklingError, TypeError)) or "pickle" not in \
                message else "ScriptLimitError"
            reply = pickle.dumps(("error", name, message[:2000], _failing_line(exc)))
        send.send_bytes(reply)


if __name__ == "__main__":
    main(sys.argv[1:])
