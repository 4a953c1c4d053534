"""A deliberately misbehaving harness, to test that the runner survives it.

    python bad_harness.py [--serve ADAPTER] [--once FILE] [--MISBEHAVIOUR OP]... [--marker TEXT]

Without ``--serve`` it answers ``start`` (unless told otherwise) and ``pagesize``
correctly and every other op ``unsupported``. With ``--serve ADAPTER`` (a name as
``--mmap-adapter`` takes, e.g. ``reference``) it answers like the Python harness
serving that adapter, so that a whole spec run goes through it.

It misbehaves on the ops named (``*`` names every op but ``start`` and ``stop``):
``--segfault-on`` dereferences NULL (a real SIGSEGV), ``--hang-on`` never answers,
``--garbage-on`` writes a line that is not JSON, ``--bad-value-on`` answers a value
the schema forbids, ``--wrong-id-on`` answers with another id, ``--endless-line-on``
writes a response line that never ends, ``--bool-as-int-on`` answers
``--serve``'s value with each boolean as ``1``/``0`` (a C harness's ``int``), and
``--int-as-string-on`` with each integer as a string of digits, ``--harness-error-on``
answers ``harness_error``, ``--surrogate-on`` answers it with a message holding a lone
surrogate, terminal escapes and Markdown, and ``--close-stdout-on`` closes its stdout
and lives on.
``--once FILE``:
misbehave only the first time in the whole run, across processes (FILE is created then;
it must not exist before). ``--no-start`` never answers start; ``--silent-after-start``
answers start and then nothing, ever; ``--die-at-start`` prints a reason to stderr and exits 3.
``--hang-note FILE`` appends the harness's pid to FILE when it starts hanging.
``--claim-pid PID`` names PID in its answer to start instead of its own.
``--setsid-orphans N`` leaves N processes that call setsid() and are orphaned (a double
fork), holding the protocol's pipes open and sleeping, before it answers start.
``--marker`` is ignored: it lets a test find these processes in /proc.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import sys
import time
from typing import Any

FLAGS = (
    "segfault-on",
    "hang-on",
    "garbage-on",
    "bad-value-on",
    "wrong-id-on",
    "endless-line-on",
    "bool-as-int-on",
    "int-as-string-on",
    "harness-error-on",
    "close-stdout-on",
    "surrogate-on",
)

parser = argparse.ArgumentParser()
for flag in FLAGS:
    parser.add_argument(f"--{flag}", action="append", default=[])
parser.add_argument("--serve", default=None)
parser.add_argument("--once", default=None)
parser.add_argument("--marker", default=None)
parser.add_argument("--hang-note", default=None)
parser.add_argument("--no-start", action="store_true")
parser.add_argument("--silent-after-start", action="store_true")
parser.add_argument("--die-at-start", action="store_true")
parser.add_argument("--claim-pid", type=int, default=None)
parser.add_argument("--setsid-orphans", type=int, default=0)
ns = parser.parse_args()

# Keep fd 1 for the protocol and everything else on stderr, as real harnesses do.
protocol = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)

harness: Any = None
if ns.serve:
    from mmapspec.adapters import AdapterSpec
    from mmapspec.adapters.harness import Harness

    harness = Harness(AdapterSpec(ns.serve))


def reply(msg: dict[str, object]) -> None:
    protocol.write(json.dumps(msg) + "\n")
    protocol.flush()


def misbehaviour(op: str) -> str | None:
    """The flag that names this op, if it is this op's turn to misbehave."""
    for flag in FLAGS:
        ops = getattr(ns, flag.replace("-", "_"))
        if op in ops or ("*" in ops and op not in ("start", "stop")):
            break
    else:
        return None
    if ns.once is not None:
        try:
            os.close(os.open(ns.once, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return None
    return flag


def recoded(value: Any, kind: type) -> Any:
    """``value`` with each bool (kind bool) as an int, or each int (kind int) as a string."""
    if isinstance(value, dict):
        return {k: v if k in ("id", "handle") else recoded(v, kind) for k, v in value.items()}
    if isinstance(value, list):
        return [recoded(v, kind) for v in value]
    if type(value) is kind:
        return int(value) if kind is bool else str(value)
    return value


def endless_line() -> None:
    chunk = '{"id": 0, "outcome": "value", "value": "' + "A" * 65536
    protocol.write(chunk)
    while True:
        protocol.write("A" * 65536)


for _ in range(ns.setsid_orphans):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(3600)  # with the protocol's pipes open, out of the process group
        os._exit(0)
    os.wait()

started = False
for line in sys.stdin:
    req = json.loads(line)
    rid, op = req["id"], req["op"]
    if op == "start":
        if ns.die_at_start:
            print("bad_harness: cannot load the binding: libfoo.so: no such file", file=sys.stderr)
            sys.exit(3)
        if ns.no_start:
            continue
    elif ns.silent_after_start and started:
        continue
    how = misbehaviour(op)
    if how == "segfault-on":
        print(f"bad_harness: about to crash in {op}", file=sys.stderr, flush=True)
        ctypes.string_at(0)
    elif how == "hang-on":
        if ns.hang_note:
            with open(ns.hang_note, "a") as note:
                note.write(f"{os.getpid()}\n")
        time.sleep(3600)
    elif how == "garbage-on":
        protocol.write("this is not json\n")
        protocol.flush()
    elif how == "bad-value-on":
        reply({"id": rid, "outcome": "value", "value": "four thousand"})
    elif how == "harness-error-on":
        reply({"id": rid, "outcome": "harness_error", "message": "bad_harness: my own bug"})
    elif how == "surrogate-on":
        evil = "cut \ud83d \x1b[32m108 pass -> conformant\x1b[0m\n## ✅ conformant <img src=x>"
        reply({"id": rid, "outcome": "harness_error", "message": evil})
    elif how == "close-stdout-on":
        protocol.close()
        time.sleep(3600)
    elif how == "wrong-id-on":
        reply({"id": rid + 1000, "outcome": "value", "value": 4096})
    elif how == "endless-line-on":
        endless_line()
    elif how in ("bool-as-int-on", "int-as-string-on") and harness is not None:
        response, done = harness.answer(line.encode())
        reply(recoded(response, bool if how == "bool-as-int-on" else int))
    elif harness is not None:
        response, done = harness.answer(line.encode())
        reply(response)
        if done:
            break
    elif op == "start":
        reply(
            {
                "id": rid,
                "outcome": "value",
                "value": {
                    "protocol": 1,
                    "implementation": {"name": "bad", "version": "0"},
                    "capabilities": {"pagesize": True, "alignment": True},
                    "pid": ns.claim_pid or os.getpid(),
                },
            }
        )
    elif op == "stop":
        reply({"id": rid, "outcome": "value", "value": None})
        break
    elif op == "pagesize":
        reply({"id": rid, "outcome": "value", "value": 4096})
    else:
        reply({"id": rid, "outcome": "unsupported", "capability": op})
    started = True
