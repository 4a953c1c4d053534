"""The harness failures only the pipe can have: broken messages, a harness's own
error, and no answer in time. All are
:class:`~mmapspec.adapters.interface.HarnessFailure`: the machinery failed, not the
binding, so no clause is judged by them."""

from __future__ import annotations

from mmapspec.adapters.interface import HarnessFailure


class ProtocolError(HarnessFailure):
    """The harness sent something the protocol does not allow (bad JSON, a wrong
    id, an unknown outcome, a line over its length limit, or, in validating mode,
    anything the schema rejects). The child is killed, since the conversation can
    no longer be trusted."""


class HarnessError(HarnessFailure):
    """The harness answered ``harness_error``: it failed in its own code (a bug,
    or a request it could not understand), not in the implementation under test.
    Also raised when a replacement child will not start."""


UNCONVERTED_PREFIX = "implementation raised "
"""How a harness's ``harness_error`` message begins when the exception came out of the
binding's call, unconverted by its adapter, rather than out of the harness's own code."""


class UnconvertedError(Exception):
    """The binding raised an exception its adapter did not convert into an outcome of
    the protocol, reported by the harness (``harness_error`` whose message begins
    :data:`UNCONVERTED_PREFIX`). Raised out of the adapter call, it is the
    implementation's failure, as the same exception is in process: the clause fails."""


class ImplementationTimeout(HarnessFailure):
    """The child did not answer within the deadline and was killed (SIGKILL).

    A harness failure, not a crash: the runner cannot tell a harness stuck on its
    own pipe from a binding stuck in a call, and a deadline says nothing about any
    clause. A binding that dies by a signal is
    :class:`~mmapspec.adapters.interface.ImplementationCrashed`."""

    def __init__(self, op: str, timeout: float, detail: str) -> None:
        super().__init__(
            f"no answer to {op!r} within {timeout:g} s, so the harness was killed{detail}"
        )
        self.op = op
        self.timeout = timeout


class ClosedOutput(HarnessFailure):
    """The harness closed its stdout but did not exit within the grace period, so the
    runner killed it. The signal that ended it was the runner's, not the binding's:
    a harness failure, not a crash."""

    def __init__(self, op: str, grace: float, detail: str) -> None:
        super().__init__(
            f"the harness closed its stdout during {op!r} but did not exit within "
            f"{grace:g} s, so the runner killed it{detail}"
        )
        self.op = op
