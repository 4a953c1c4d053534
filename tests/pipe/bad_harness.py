"""A deliberately misbehaving harness, to test that the pipe adapter survives it.

    python bad_harness.py [--MISBEHAVIOUR OP]...

It answers ``start`` (unless told otherwise) and ``pagesize`` correctly, then
misbehaves on the ops named: ``--segfault-on`` dereferences NULL (a real
SIGSEGV), ``--hang-on`` never answers, ``--garbage-on`` writes a line that is not
JSON, ``--bad-value-on`` answers a value the schema forbids, ``--wrong-id-on``
answers with another id. ``--no-start`` never answers start; ``--die-at-start``
prints a reason to stderr and exits 3.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import sys
import time

parser = argparse.ArgumentParser()
for flag in ("segfault-on", "hang-on", "garbage-on", "bad-value-on", "wrong-id-on"):
    parser.add_argument(f"--{flag}", action="append", default=[])
parser.add_argument("--no-start", action="store_true")
parser.add_argument("--die-at-start", action="store_true")
ns = parser.parse_args()


def reply(msg: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    req = json.loads(line)
    rid, op = req["id"], req["op"]
    if op == "start":
        if ns.die_at_start:
            print("bad_harness: cannot load the binding: libfoo.so: no such file", file=sys.stderr)
            sys.exit(3)
        if ns.no_start:
            continue
        reply(
            {
                "id": rid,
                "outcome": "value",
                "value": {
                    "protocol": 1,
                    "implementation": {"name": "bad", "version": "0"},
                    "capabilities": {"pagesize": True, "alignment": True},
                    "pid": os.getpid(),
                },
            }
        )
    elif op == "stop":
        reply({"id": rid, "outcome": "value", "value": None})
        break
    elif op in ns.segfault_on:
        print(f"bad_harness: about to crash in {op}", file=sys.stderr, flush=True)
        ctypes.string_at(0)
    elif op in ns.hang_on:
        time.sleep(3600)
    elif op in ns.garbage_on:
        sys.stdout.write("this is not json\n")
        sys.stdout.flush()
    elif op in ns.bad_value_on:
        reply({"id": rid, "outcome": "value", "value": "four thousand"})
    elif op in ns.wrong_id_on:
        reply({"id": rid + 1000, "outcome": "value", "value": 4096})
    elif op == "pagesize":
        reply({"id": rid, "outcome": "value", "value": 4096})
    else:
        reply({"id": rid, "outcome": "unsupported", "capability": op})
