"""bwrap's argument list, without running it: what the sandbox is built from, in which order.

The running sandbox is attacked in tests/sandbox/; these checks are about the construction and
run anywhere (no bwrap needed).
"""

from __future__ import annotations

from autodiff_course.limits import Limits
from autodiff_course.sandbox import INSIDE_HOME, INSIDE_RUN, _bwrap_args


def options(tmp_path, site_dirs, uid=12345):
    for name in ("passwd", "group"):
        (tmp_path / name).write_text("")
    return _bwrap_args(tmp_path, uid, Limits(), site_dirs)


def position(args: list[str], *wanted: str) -> int:
    for i in range(len(args) - len(wanted) + 1):
        if args[i:i + len(wanted)] == list(wanted):
            return i
    raise AssertionError(f"{wanted} not in {args}")


def test_a_python_installation_under_tmp_is_bound_after_the_private_tmp(tmp_path):
    """A checkout cloned under /tmp (as CI may do) keeps its site-packages visible."""
    site = tmp_path / "clone" / ".venv" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    args, _ = options(tmp_path, [str(site)])
    tmpfs = position(args, "--tmpfs", "/tmp")
    bind = position(args, "--ro-bind", str(site), str(site))
    assert tmpfs < bind
    assert position(args, "--tmpfs", INSIDE_HOME) < bind


def test_the_sandbox_has_its_namespaces_a_clean_environment_and_no_network(tmp_path):
    args, command = options(tmp_path, [])
    for flag in ("--unshare-pid", "--unshare-ipc", "--unshare-net", "--unshare-uts",
                 "--die-with-parent", "--new-session", "--clearenv"):
        assert flag in args
    assert "--share-net" not in args
    assert position(args, "--bind", str(tmp_path), INSIDE_RUN) >= 0
    assert command[1:4] == ["-I", "-S", "/opt/autodiff-course/adc_kernel/launch.py"]
    set_names = [args[i + 1] for i, a in enumerate(args) if a == "--setenv"]
    assert "HOME" in set_names and not any("SECRET" in n or "TOKEN" in n for n in set_names)


def test_not_root_means_a_user_namespace_as_nobody(tmp_path):
    args, _ = options(tmp_path, [], uid=None)
    assert position(args, "--unshare-user", "--uid", "65534", "--gid", "65534") >= 0
    assert "--cap-add" not in args
