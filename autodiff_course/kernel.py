"""A session with one student's kernel: run cells, ask for values, and never wait forever.

:class:`KernelSession` wraps a :class:`~autodiff_course.sandbox.KernelProcess` and a ZeroMQ
client. It is the grader's only way to talk to student code:

- :meth:`run_cell` executes a cell of the notebook and collects its outputs, capped as they
  arrive (characters per cell, size of each message), keeping only output types that cannot run
  script where they are shown (plain text, PNG and JPEG images, errors);
- :meth:`evaluate` sends one check's request to the probe runtime
  (:mod:`autodiff_course.kernel_side.runtime`) and returns its answer, still as text: decoding
  and judging it is the caller's business;
- every call has a deadline. Past it the kernel is interrupted; a kernel that ignores the
  interrupt, dies, or spends more CPU time than its tree may is killed, and the call says so
  (:class:`KernelGone`).

Nothing the kernel sends is trusted: messages above :data:`MAX_MESSAGE_BYTES` are dropped by
ZeroMQ before they are parsed, results are matched to their request by a random id, and a
kernel that floods its output only fills its own budget.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import time
from dataclasses import dataclass, field

from .kernel_side.runtime import MIME
from .limits import Limits
from .outputs import Outputs, capped
from .sandbox import INSIDE_RUN, KernelProcess, start_kernel_process

NO_ANSWER = "NoAnswer"  # the "exception type" when the kernel did not answer a check at all

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
INTERRUPT_GRACE = 5.0
READY_TIMEOUT = 60.0


class KernelGone(Exception):
    """The kernel is dead or was killed; ``reason`` says why, for the student's row."""

    def __init__(self, reason: str, timed_out: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.timed_out = timed_out


class KernelStartError(Exception):
    """The kernel did not come up (not the student's doing: nothing of theirs has run yet)."""


@dataclass
class CellRun:
    """What one execution produced."""

    status: str  # "ok", "error" (raised), "timeout" (interrupted at the deadline)
    outputs: list[dict] = field(default_factory=list)
    error: dict | None = None
    seconds: float = 0.0
    truncated: bool = False
    results: dict[str, dict] = field(default_factory=dict)


class KernelSession:
    """One student's kernel (see the module docstring). Use as a context manager."""

    def __init__(self, process: KernelProcess, limits: Limits):
        import zmq
        from jupyter_client import BlockingKernelClient

        self.process = process
        self.limits = limits
        self.context = zmq.Context()
        self.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        self.client = BlockingKernelClient(context=self.context)
        self.client.load_connection_info(process.connection)
        self.client.start_channels(hb=False)
        self.dead: str | None = None

    @classmethod
    def start(cls, *, sandbox: bool, limits: Limits | None = None,
              ready_timeout: float = READY_TIMEOUT) -> KernelSession:
        """A ready kernel; one retry when the first start fails (a rare start-up race)."""
        limits = limits or Limits()
        problem = ""
        for _attempt in (1, 2):
            process = start_kernel_process(sandbox=sandbox, limits=limits)
            session = cls(process, limits)
            try:
                session._wait_ready(ready_timeout)
                process.seal()
                return session
            except KernelStartError as err:
                problem = str(err)
                session.close()
        raise KernelStartError(problem)

    # --- plumbing ----------------------------------------------------------------------------

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        shell_ok = iopub_ok = False
        sent = 0.0
        while not (shell_ok and iopub_ok):
            now = time.monotonic()
            if not self.process.alive():
                raise KernelStartError("the kernel exited while starting: " + self._log_tail())
            if now > deadline:
                raise KernelStartError(f"the kernel did not answer within {timeout:g} s: "
                                       + self._log_tail())
            if now - sent > 0.5:
                self.client.kernel_info()
                sent = now
            for channel in (self.client.shell_channel, self.client.iopub_channel):
                try:
                    msg = channel.get_msg(timeout=0.05)
                except queue.Empty:
                    continue
                if msg.get("parent_header", {}).get("msg_type") == "kernel_info_request":
                    if channel is self.client.shell_channel:
                        shell_ok = True
                    else:
                        iopub_ok = True
        self._drain()

    def _log_tail(self) -> str:
        try:
            text = (self.process.run_dir / "kernel.log").read_text(errors="replace")
        except OSError:
            return "(no log)"
        lines = [line for line in text.strip().splitlines() if line.strip()]
        return " | ".join(lines[-3:]) or "(no log)"

    def _drain(self) -> None:
        for channel in (self.client.iopub_channel, self.client.shell_channel):
            while True:
                try:
                    channel.get_msg(timeout=0.01)
                except queue.Empty:
                    break

    def _kill(self, reason: str, timed_out: bool = False) -> KernelGone:
        self.dead = reason
        self.process.kill()
        return KernelGone(reason, timed_out)

    def _check_limits(self) -> None:
        if not self.process.alive():
            raise self._kill("the kernel died (os._exit, a crash, or its memory limit)")
        used = self.process.cpu_seconds()
        if used is not None and used > self.limits.cpu_seconds:
            raise self._kill(f"the kernel used more than {self.limits.cpu_seconds} s of CPU time",
                             timed_out=True)

    def _reconnect(self) -> None:
        from jupyter_client import BlockingKernelClient

        try:
            self.client.stop_channels()
        except Exception:  # noqa: BLE001 - the old channels are being thrown away
            pass
        self.client = BlockingKernelClient(context=self.context)
        self.client.load_connection_info(self.process.connection)
        self.client.start_channels(hb=False)
        try:
            self._wait_ready(30)
        except KernelStartError as err:
            raise self._kill(f"the kernel stopped answering ({err})") from None

    def _wait_for_messages(self, timeout: float) -> set:
        """The sockets (output and shell) with a message waiting, after at most ``timeout``."""
        import zmq

        poller = zmq.Poller()
        for channel in (self.client.iopub_channel, self.client.shell_channel):
            poller.register(channel.socket, zmq.POLLIN)
        return {socket for socket, _ in poller.poll(int(timeout * 1000))}

    def interrupt(self) -> None:
        msg = self.client.session.msg("interrupt_request", content={})
        self.client.control_channel.send(msg)

    # --- executing ---------------------------------------------------------------------------

    def _execute(self, code: str, timeout: float, *, silent: bool, collect: bool) -> CellRun:
        if self.dead:
            raise KernelGone(self.dead)
        started = time.monotonic()
        msg_id = self.client.execute(code, silent=silent, store_history=not silent,
                                     allow_stdin=False, stop_on_error=False)
        outputs = Outputs(collect)
        results: dict[str, dict] = {}
        reply: dict | None = None
        idle = False
        error: dict | None = None
        deadline = started + max(timeout, 0.0)
        interrupted_at: float | None = None
        reply_at: float | None = None
        while True:
            now = time.monotonic()
            if reply is not None and idle:
                break
            if reply is not None and now - (reply_at or now) > 2.0:
                # the reply came but the output channel went quiet: ZeroMQ drops the
                # connection of a peer that sent an oversized message; connect afresh
                self._reconnect()
                break
            if now > deadline and interrupted_at is None:
                interrupted_at = now
                self.interrupt()
            if interrupted_at is not None and now - interrupted_at > INTERRUPT_GRACE:
                raise self._kill(f"it ran past the {timeout:g} s limit and ignored the "
                                 "interrupt, so the kernel was stopped", timed_out=True)
            self._check_limits()
            ready = self._wait_for_messages(0.05)
            msg = None
            if self.client.iopub_channel.socket in ready:
                try:
                    msg = self.client.iopub_channel.get_msg(timeout=0)
                except queue.Empty:
                    pass
            if msg is not None and msg.get("parent_header", {}).get("msg_id") == msg_id:
                kind, content = msg.get("msg_type"), msg.get("content") or {}
                if kind == "stream":
                    outputs.stream(content.get("name"), content.get("text"))
                elif kind in ("display_data", "execute_result", "update_display_data"):
                    data = content.get("data")
                    result = data.get(MIME) if isinstance(data, dict) else None
                    if isinstance(result, dict) and type(result.get("id")) is str:
                        results[result["id"]] = result
                    elif kind != "update_display_data":
                        outputs.display(kind, content)
                elif kind == "error":
                    error = outputs.error(content)
                elif kind == "clear_output":
                    outputs.clear()
                elif kind == "status" and content.get("execution_state") == "idle":
                    idle = True
            shell = None
            if self.client.shell_channel.socket in ready:
                try:
                    shell = self.client.shell_channel.get_msg(timeout=0)
                except queue.Empty:
                    pass
            if shell is not None and shell.get("parent_header", {}).get("msg_id") == msg_id:
                reply = shell.get("content") or {}
                reply_at = time.monotonic()
        status = "ok"
        if interrupted_at is not None:
            status = "timeout"
        elif reply.get("status") != "ok" or error is not None:
            status = "error"
            if error is None:
                error = {"output_type": "error",
                         "ename": capped(reply.get("ename"), 200) or "Error",
                         "evalue": capped(reply.get("evalue"), 5000), "traceback": []}
        return CellRun(status, outputs.items, error, time.monotonic() - started,
                       outputs.truncated, results)

    def run_cell(self, code: str, timeout: float) -> CellRun:
        """Execute a notebook cell as Jupyter would (its outputs kept, capped)."""
        return self._execute(code, timeout, silent=False, collect=True)

    def evaluate(self, code: str, inputs_text: str, cell_key: str, timeout: float) -> dict:
        """One check's request: {"value": text} or {"error": text}, from the probe runtime.

        Raises :class:`TimeoutError` when the deadline passed (the kernel was interrupted and
        is still usable) and :class:`KernelGone` when the kernel had to be stopped.
        """
        request_id = secrets.token_hex(16)
        # the request travels as a file in the kernel's run folder (readable by the kernel,
        # written by the grader only): a large input inside the code of an execute_request would
        # be tokenized by IPython's input transformers, which is slow
        name = f"request-{request_id}.json"
        host_file = self.process.run_dir / name
        host_file.write_text(json.dumps({"id": request_id, "code": code, "inputs": inputs_text,
                                         "cell": cell_key}))
        os.chmod(host_file, 0o644)
        inside = f"{INSIDE_RUN}/{name}" if self.process.sandboxed else str(host_file)
        call = f"__import__('adc_kernel.runtime').runtime.evaluate_file({inside!r})"
        try:
            run = self._execute(call, timeout, silent=True, collect=False)
        finally:
            host_file.unlink(missing_ok=True)
        if run.status == "timeout":
            raise TimeoutError(f"it ran past the {timeout:g} s limit and was interrupted")
        result = run.results.get(request_id)
        if result is None:
            detail = f" ({run.error['ename']}: {run.error['evalue']})" if run.error else ""
            return {"error": "the kernel gave no answer to the check (does a cell change how "
                             "code runs?)" + capped(detail, 300), "types": [NO_ANSWER]}
        if type(result.get("value")) is str:
            return {"value": result["value"]}
        types = result.get("types")
        types = ([capped(t, 100) for t in types[:20] if type(t) is str]
                 if type(types) is list else [])
        return {"error": capped(result.get("error"), 2000) or "the check failed in the kernel",
                "types": types}

    def close(self) -> None:
        try:
            self.client.stop_channels()
        except Exception:  # noqa: BLE001 - closing must always finish
            pass
        self.process.kill()
        try:
            self.context.destroy(linger=0)
        except Exception:  # noqa: BLE001
            pass

    def __enter__(self) -> KernelSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
