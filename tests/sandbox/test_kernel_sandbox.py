"""One sandboxed kernel, attacked from inside: what student code can see, reach and use up.

Each test starts a kernel the way the grader does (:class:`KernelSession` with ``sandbox=True``),
runs a student's cell that tries something, and checks from outside that it failed: the grader's
files, variables, processes and network stay out of reach, the kernel runs as an unprivileged
uid, and memory, processes, CPU time, disk and output are bounded for the whole process tree,
which is gone once the session ends.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest
from pipeline_fixtures import REPO

from autodiff_course.kernel import KernelGone, KernelSession
from autodiff_course.limits import Limits, mode

SECRET = "adc-secret-8f3b1e"
CGROUP = "cgroup" in mode(True)


def printed(run) -> str:
    return "".join(o.get("text", "") for o in run.outputs if o.get("output_type") == "stream")


def result(session, code: str, timeout: float = 60):
    run = session.run_cell(code, timeout)
    assert run.status == "ok", run.error
    return json.loads(printed(run).strip().splitlines()[-1])


@pytest.fixture
def kernel(monkeypatch):
    monkeypatch.setenv("ADC_SECRET_FOR_TEST", SECRET)
    with KernelSession.start(sandbox=True) as session:
        yield session


def test_the_kernel_runs_as_an_unprivileged_uid_that_cannot_become_root(kernel):
    found = result(kernel, """
import json, os
try:
    os.setuid(0)
    regained = True
except PermissionError:
    regained = False
print(json.dumps({"uid": os.getuid(), "euid": os.geteuid(), "regained": regained}))""")
    assert found["uid"] != 0 and found["euid"] != 0 and found["uid"] != os.getuid()
    assert not found["regained"]


def test_none_of_the_graders_variables_reach_the_kernel(kernel):
    found = result(kernel, "import json, os\nprint(json.dumps(dict(os.environ)))")
    assert SECRET not in json.dumps(found)
    assert "ADC_SECRET_FOR_TEST" not in found and "VIRTUAL_ENV" not in found
    assert found["HOME"] == "/home/student"


def test_the_course_the_gradebook_and_home_are_out_of_reach(kernel, tmp_path):
    gradebook = tmp_path / "gradebook.db"
    gradebook.write_text(SECRET)
    found = result(kernel, f"""
import json, os
seen = {{}}
for path in [{str(REPO)!r}, {str(REPO / 'solutions')!r}, {str(gradebook)!r}, "/root", "/work",
             {str(tmp_path)!r}, "/etc/shadow"]:
    try:
        seen[path] = os.listdir(path) if os.path.isdir(path) else open(path).read()[:100]
    except OSError as err:
        seen[path] = type(err).__name__
print(json.dumps(seen))""")
    assert SECRET not in json.dumps(found)
    assert found[str(REPO / "solutions")] == "FileNotFoundError"
    assert found[str(gradebook)] == "FileNotFoundError"
    assert found["/etc/shadow"] == "FileNotFoundError"
    assert "main" not in found["/work"] or found[str(REPO)] in ([".venv"], "FileNotFoundError")


def test_the_reference_library_and_the_grader_cannot_be_imported(kernel):
    found = result(kernel, """
import importlib, json
out = {}
for name in ["autograd_ref", "autodiff_course", "autodiff_course.checking", "torch"]:
    try:
        importlib.import_module(name)
        out[name] = "imported"
    except ImportError as err:
        out[name] = str(err)
print(json.dumps(out))""")
    assert all(v != "imported" for v in found.values()), found
    assert "course's reference library" in found["autograd_ref"]


def test_the_kernel_sees_only_its_own_processes_and_no_command_line_of_the_graders(kernel):
    found = result(kernel, """
import json, os
lines = {}
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            lines[pid] = open(f"/proc/{pid}/cmdline").read().replace("\\0", " ")
        except OSError:
            pass
print(json.dumps(lines))""")
    assert len(found) < 10, found
    text = " ".join(found.values())
    assert "pytest" not in text and "autodiff_course" not in text and str(REPO) + " " not in text


def test_there_is_no_network(kernel):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    accepted = []

    def accept():
        try:
            accepted.append(server.accept())
        except OSError:
            pass

    thread = threading.Thread(target=accept)
    thread.start()
    port = server.getsockname()[1]
    found = result(kernel, f"""
import json, socket
out = {{}}
for host, port in [("127.0.0.1", {port}), ("1.1.1.1", 53), ("8.8.8.8", 443)]:
    try:
        socket.create_connection((host, port), timeout=2).close()
        out[host] = "connected"
    except OSError as err:
        out[host] = type(err).__name__
try:
    socket.gethostbyname("example.com")
    out["dns"] = "resolved"
except OSError as err:
    out["dns"] = type(err).__name__
print(json.dumps(out))""")
    thread.join()
    server.close()
    assert "connected" not in found.values() and found["dns"] != "resolved", found
    assert accepted == []


def test_the_run_folder_is_sealed_and_home_and_tmp_are_private_and_capped(kernel):
    found = result(kernel, """
import json, os
out = {"home": sorted(os.listdir("/home/student")), "tmp": sorted(os.listdir("/tmp"))}
for path in ["/run/adc/extra", "/usr/evil", "/home/student/ok"]:
    try:
        open(path, "w").write("x")
        out[path] = "written"
    except OSError as err:
        out[path] = type(err).__name__
chunk = b"x" * (16 * 1024 * 1024)
written = 0
try:
    with open("/tmp/fill", "wb") as handle:
        for _ in range(64):
            handle.write(chunk)
            written += len(chunk)
except OSError as err:
    out["fill"] = type(err).__name__
out["written_mb"] = written // (1024 * 1024)
print(json.dumps(out))""")
    assert found["/usr/evil"] != "written" and found["/home/student/ok"] == "written"
    if os.geteuid() == 0:
        assert found["/run/adc/extra"] == "PermissionError"
    assert found["written_mb"] <= Limits().scratch_mb and "fill" in found


def test_a_daemon_dies_with_the_kernel(tmp_path):
    marker = f"adc-daemon-{os.getpid()}-{time.time_ns()}"
    with KernelSession.start(sandbox=True) as session:
        run = session.run_cell(f"""
import os, subprocess, sys
if os.fork() == 0:
    os.setsid()
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", {marker!r}])
    os._exit(0)
""", 30)
        assert run.status == "ok", run.error
        time.sleep(1.0)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        alive = [p for p in Path("/proc").glob("[0-9]*/cmdline")
                 if marker.encode() in _read(p)]
        if not alive:
            break
        time.sleep(0.2)
    assert not alive, "a process started by the student outlived its kernel"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def test_a_fork_bomb_stops_at_the_process_limit():
    with KernelSession.start(sandbox=True, limits=Limits(processes=64)) as session:
        found = result(session, """
import json, os, time
children = 0
for _ in range(500):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    children += 1
print(json.dumps({"children": children}))""")
    assert found["children"] < 64


def test_memory_is_capped_for_the_whole_tree_not_just_per_process():
    code = """
import json, os
import numpy as np
pids = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        try:
            block = np.ones(450 * 1024 * 1024 // 8)  # 450 MB, touched
            import time; time.sleep(3)
            os._exit(0)
        except MemoryError:
            os._exit(3)
    pids.append(pid)
codes = [os.waitpid(pid, 0)[1] for pid in pids]
print(json.dumps({"ok": sum(code == 0 for code in codes)}))"""
    with KernelSession.start(sandbox=True, limits=Limits(memory_mb=1200)) as session:
        try:
            found = result(session, code)
        except KernelGone:
            found = {"ok": 0}  # the kernel itself was the one the limit stopped
    if CGROUP:
        assert found["ok"] < 4, "four 450 MB children fit in a 1200 MB tree"
    else:  # without a cgroup only each process is capped: each child fits on its own
        assert found["ok"] <= 4


def test_cpu_time_is_capped_for_the_whole_tree():
    code = """
import os
for _ in range(2):
    if os.fork() == 0:
        while True:
            pass
while True:
    pass"""
    started = time.monotonic()
    with KernelSession.start(sandbox=True, limits=Limits(cpu_seconds=3)) as session:
        with pytest.raises(KernelGone) as gone:
            session.run_cell(code, 60)
    assert time.monotonic() - started < 40
    assert "CPU" in gone.value.reason or "died" in gone.value.reason


def test_an_output_flood_is_cut_and_an_oversized_message_is_dropped(kernel):
    run = kernel.run_cell("for _ in range(200):\n    print('x' * 500_000)", 60)
    assert sum(len(o.get("text", "")) for o in run.outputs) < 200_000
    run = kernel.run_cell("for _ in range(2000):\n    print('z' * 1000)", 60)
    assert run.truncated and "output cut after" in printed(run)
    assert sum(len(o.get("text", "")) for o in run.outputs) < 200_000
    run = kernel.run_cell("from IPython.display import publish_display_data\n"
                          "publish_display_data({'text/plain': 'y' * (40 * 1024 * 1024)})\n"
                          "print('still here')", 60)
    assert run.status == "ok" and "still here" in printed(run)
    assert not any("yyyy" in json.dumps(o) for o in run.outputs)
