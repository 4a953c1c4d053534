"""The guard between the runner and a harness: the harness never outlives the runner.

    python -I -S _guard.py WATCH_FD PARENT_PID COMMAND [ARG]...

The pipe adapter starts every harness through this script, as the leader of a new
process group. The guard starts COMMAND in that group, with the runner's stdin,
stdout and stderr, and then only waits:

* The runner holds the write end of a pipe whose read end is WATCH_FD. When the
  runner dies, however it dies (SIGKILL included), or closes that pipe, the read
  end reports end of file and the guard kills its whole process group: the
  harness and anything the harness started (a shell wrapper's interpreter).
* On Linux, with PARENT_PID not 0, the guard also asks the kernel to signal it
  when its parent dies (PR_SET_PDEATHSIG), which catches the runner's death even
  while a forked copy of the runner still holds the pipe open.
* On Linux the guard is a child subreaper (PR_SET_CHILD_SUBREAPER): a process of
  the harness that calls setsid() and is orphaned becomes the guard's child, not
  init's. Leaving the process group does not leave the guard's tree: whenever the
  guard kills the group it first stops and kills every descendant it has (read from
  /proc), and it reaps the orphans it inherits.
* When COMMAND ends, the guard kills what COMMAND left running, then ends the same
  way (the same exit status, or the same signal), so the runner learns how the
  harness died from the guard.

It runs with ``-I -S`` and imports only the standard library, so it starts in a
few milliseconds and never depends on the environment it protects.
"""

from __future__ import annotations

import contextlib
import os
import resource
import select
import signal
import sys
from types import FrameType

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
"""From <linux/prctl.h>."""


def _descendants() -> set[int]:
    """Every process descended from the guard (Linux: /proc; elsewhere none known)."""
    children: dict[int, list[int]] = {}
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc"):
            if name.isdigit():
                with contextlib.suppress(OSError, ValueError, IndexError):
                    with open(f"/proc/{name}/stat", "rb") as f:
                        stat = f.read()
                    ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
                    children.setdefault(ppid, []).append(int(name))
    tree: set[int] = set()
    todo = [os.getpid()]
    while todo:
        for pid in children.get(todo.pop(), []):
            if pid not in tree:
                tree.add(pid)
                todo.append(pid)
    return tree


def _kill_descendants() -> None:
    """Stop every descendant (until no new one appears), then kill them all: those
    that left the process group with setsid() included."""
    stopped: set[int] = set()
    for _ in range(50):
        new = _descendants() - stopped
        if not new:
            break
        for pid in new:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGSTOP)
        stopped |= new
    for pid in stopped:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _kill_group(signum: int = 0, frame: FrameType | None = None) -> None:
    """The runner is gone: every descendant and the whole group go, the guard last
    (it is a member)."""
    _kill_descendants()
    os.killpg(0, signal.SIGKILL)


def _die_with_parent(parent: int) -> None:
    """Linux: SIGHUP when the parent dies (handled by killing the group)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGHUP, 0, 0, 0) != 0:
        return  # the pipe still watches the runner
    if os.getppid() != parent:  # the runner died before the request took effect
        _kill_group()


def _end_like(status: int) -> None:
    """Exit as the command did, so that the runner sees its status."""
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        # The command already dumped core if the system wanted that: one is enough.
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        with contextlib.suppress(OSError, ValueError):
            signal.signal(signum, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [signum])
        os.kill(os.getpid(), signum)
        os._exit(128 + signum)  # a signal whose default is to be ignored
    os._exit(os.waitstatus_to_exitcode(status))


def main(argv: list[str]) -> None:
    watch, parent, command = int(argv[1]), int(argv[2]), argv[3:]
    os.set_inheritable(watch, False)
    signal.signal(signal.SIGHUP, _kill_group)
    signal.signal(signal.SIGTERM, _kill_group)
    # SIGCHLD only wakes the loop below, through the wakeup pipe.
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        if parent:
            _die_with_parent(parent)
    try:
        # Python ignores SIGPIPE and SIGXFSZ; the harness gets the defaults, as
        # subprocess gives its children (a binding over its file size limit dies).
        default = [s for s in ("SIGPIPE", "SIGXFSZ") if hasattr(signal, s)]
        pid = os.posix_spawnp(
            command[0],
            command,
            os.environ,
            setsigdef=[getattr(signal, s) for s in default],
        )
    except OSError as exc:
        print(f"cannot run {command[0]!r}: {exc.strerror or exc}", file=sys.stderr, flush=True)
        os._exit(127)
    # Hold no end of the protocol's pipes: the runner must see end of file on the
    # harness's stdout as soon as the harness dies.
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    while True:
        ready = select.select([watch, wake_r], [], [])[0]
        if watch in ready:
            _kill_group()
        with contextlib.suppress(BlockingIOError):
            os.read(wake_r, 4096)
        while True:  # the harness, and any orphan of it this subreaper inherited
            try:
                done, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if done == pid:
                _kill_descendants()  # what the harness left running goes with it
                _end_like(status)
            if not done:
                break


if __name__ == "__main__":
    main(sys.argv)
