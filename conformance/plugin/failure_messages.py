"""What a failed spec test says, for its report: whose failure it is (the binding's,
a prerequisite's, another clause's, or the harness's), its message, and Hypothesis's
falsifying example as lines that reproduce it.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from mmapspec.adapters.call_origin import is_evidence
from mmapspec.adapters.interface import HarnessFailure, ImplementationCrashed
from mmapspec.plugin.options import adapter_spec
from mmapspec.plugin.spec_contract import SpecContract, spec_contract
from mmapspec.plugin.worker_facts import WorkerFacts

MESSAGE_LIMIT = 2000
"""Characters of a failure's message kept in the report."""


def describe_failure(item: pytest.Item, error: BaseException, facts: WorkerFacts) -> None:
    """Fill in ``facts`` for a phase of ``item`` that failed with ``error``."""
    contract = spec_contract(item.config)
    # What the adapter itself says went wrong in this test comes first: after a
    # harness failure or a crash, Hypothesis's replay fails differently (a
    # "flaky" error) and would hide the cause.
    standing = getattr(getattr(item, "funcargs", {}).get("adapter"), "failure", None)
    exc = (
        standing
        if isinstance(standing, (HarnessFailure, ImplementationCrashed))
        else _attributed_exception(error, contract)
    )
    # A harness failure is no evidence about the binding: it is reported as the
    # harness's (status harness-error), with its cause, and streaks of them stop the run.
    facts.harness = isinstance(exc, HarnessFailure) or _is_harness_failure(error)
    facts.crash = not facts.harness and (
        isinstance(exc, ImplementationCrashed) or bool(getattr(exc, "crashed", False))
    )
    facts.suite_error = not (facts.crash or facts.harness) and _is_suite_error(error, contract)
    if isinstance(exc, contract.PrerequisiteFailed):
        facts.prerequisite = getattr(exc, "clause", None)
    elif isinstance(exc, ImplementationCrashed):
        # Crash triage found the crash caused by earlier calls, or not replaying: it is
        # that clause's (safety.process.survives), and the running test's is blocked.
        triaged = getattr(exc, "clause", None)
        if isinstance(triaged, str):
            facts.prerequisite = triaged
    elif isinstance(exc, contract.Violation):
        facts.attributed = getattr(exc, "clause", None)
    facts.message = _exception_message(exc)
    facts.example = _falsifying_example(error, item)


def _leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions inside an exception group (Hypothesis raises one when it found
    several distinct failures), or the exception itself."""
    inner = getattr(exc, "exceptions", None)
    if not inner:
        return [exc]
    return [leaf for sub in inner for leaf in _leaves(sub)]


def _attributed_exception(exc: BaseException, contract: SpecContract) -> BaseException:
    """The exception that says whose failure this is: among several distinct ones,
    a failure of the test's own clause first, then a crash, then the first."""
    leaves = _leaves(exc)
    own = [e for e in leaves if not isinstance(e, contract.PrerequisiteFailed)]
    crashes = [e for e in leaves if isinstance(e, ImplementationCrashed)]
    return (own or crashes or leaves)[0]


def _is_suite_error(exc: BaseException, contract: SpecContract) -> bool:
    """Every exception inside ``exc`` was raised by the suite's own code: none came
    out of an adapter call, none is an assertion or a ``pytest.fail``."""
    leaves = _leaves(exc)
    return bool(leaves) and not any(
        is_evidence(e) or isinstance(e, (contract.PrerequisiteFailed, pytest.fail.Exception))
        for e in leaves
    )


def _is_harness_failure(exc: BaseException) -> bool:
    leaves = _leaves(exc)
    return bool(leaves) and all(isinstance(e, HarnessFailure) for e in leaves)


_TMP_PATH = re.compile(r"/(?:tmp|var/tmp)/pytest-of-[^/\s]+/pytest-\d+/(?:popen-gw\d+/)?")
_UNIQUE_NAME = re.compile(r"\b(f-|mmapspec-(?:[0-9a-f]{12}-)?)([0-9a-f]{8})[0-9a-f]{24}\b")


def shorten_paths(text: str) -> str:
    """Messages name files in pytest's temporary tree and uniquely named tagnames:
    shorten those so the cause after them is never cut off."""
    return _UNIQUE_NAME.sub(r"\1\2…", _TMP_PATH.sub("$TMP/", text))


def _without_rewrite_explanation(text: str) -> str:
    """A spec assertion's own message, without what pytest's assertion rewriting
    appends after it (``assert 'fails' == 'value'`` and a diff): the message already
    says expected against got, in the document's terms."""
    lines = text.splitlines()
    for i, line in enumerate(lines[1:], start=1):
        if line.startswith("assert "):
            return "\n".join(lines[:i]).rstrip()
    return text


def _exception_message(exc: BaseException) -> str:
    """``Type: message``, without Hypothesis's notes (they go to ``example``)."""
    text = shorten_paths(f"{type(exc).__name__}: {exc}".strip())
    if isinstance(exc, AssertionError):
        text = _without_rewrite_explanation(text)
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


# Hypothesis's note for the minimal failing example; the wording changed across
# versions ("Falsifying example: f(" before 6.1xx, "Failing test case: f(" after).
_FALSIFYING = re.compile(
    r"^(?:Falsifying|Failing) (?:explicit )?(?:example|test case): (\w+)\((.*)\)\s*$", re.S
)


_DRAW = re.compile(r"^Draw (\d+)(?: \(([^)]*)\))?: (.*)$", re.S)


def _example_arguments(body: str, fixtures: set[str]) -> str:
    """``name=value`` pairs of the drawn arguments, one per line in Hypothesis's
    rendering, without the pytest fixtures (their reprs reproduce nothing)."""
    lines = [line for line in body.splitlines() if line.strip()]
    indent = min((len(line) - len(line.lstrip()) for line in lines), default=0)
    groups: list[list[str]] = []
    for line in lines:
        if len(line) - len(line.lstrip()) == indent and re.match(r"\s*\w+=", line):
            groups.append([line.strip()])
        elif groups:
            groups[-1].append(line.strip())
    kept = [" ".join(g).rstrip(",") for g in groups if g[0].split("=", 1)[0] not in fixtures]
    return ", ".join(kept)


def _falsifying_example(exc: BaseException, item: pytest.Item) -> str | None:
    """Hypothesis's falsifying example as lines that reproduce it: an ``@example``
    decorator to pin on the test, and the command that reruns the test."""
    notes: list[str] = list(getattr(exc, "__notes__", ()))
    for sub in getattr(exc, "exceptions", ()):  # several distinct bugs: an ExceptionGroup
        notes.extend(getattr(sub, "__notes__", ()))
    match = next((m for m in map(_FALSIFYING.match, notes) if m), None)
    if match is None:
        return None
    func, body = match.groups()
    # st.data() arguments render as data(...); their values are the "Draw" notes.
    args = _example_arguments(body, set(getattr(item, "fixturenames", ())) | {"data"})
    draws = [m for m in map(_DRAW.match, notes) if m]
    lines = [f"# Hypothesis falsified {func} ({Path(str(item.path)).name}) with:"]
    if args:
        lines.append(f"@example({args})  # pin it on the test")
    for d in draws:
        value = " ".join(d.group(3).split())
        lines.append(f"#   data.draw: {d.group(2) or 'draw ' + d.group(1)} = {value}")
    blob = next((n for n in notes if "@reproduce_failure(" in n), None)
    if blob:
        start = blob.index("@reproduce_failure(")
        lines.append("# or replay the exact draw: " + blob[start:].split("\n")[0])
    spec = adapter_spec(item.config)
    opts = "".join(f" --adapter-option {k}={shlex.quote(v)}" for k, v in spec.options)
    lines.append(
        f"# rerun: pytest --pyargs mmapspec.spec --mmap-adapter {spec.name}{opts} -n 0 -k {func}"
    )
    return "\n".join(lines)
