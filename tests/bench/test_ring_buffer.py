"""The ring buffer showcase (``examples/ring_buffer.py``): both rings move every
byte intact, wrap correctly, and the mirror ring's ``peek`` is contiguous across
the wrap without a copy."""

from __future__ import annotations

import pytest
from mmapspec.bench.cases import load_reference
from mmapspec.examples import ring_buffer as rb

REF, WHY = load_reference()
if REF is not None and not hasattr(REF, "mirror"):
    REF, WHY = None, "mmapspec.reference has no mirror()"
needs_mirror = pytest.mark.skipif(REF is None, reason=f"the mirror ring needs the reference: {WHY}")

KINDS = [
    pytest.param(rb.MirrorRing, marks=needs_mirror, id="mirror"),
    pytest.param(rb.SplitRing, id="split"),
]


@pytest.mark.parametrize("kind", KINDS)
def test_pump_moves_every_byte_intact_across_many_wraps(
    kind: type[rb.MirrorRing] | type[rb.SplitRing],
) -> None:
    stream = rb.Stream(period=50_000, min_chunk=1, max_chunk=9000, seed=1)
    with kind(16384) as ring:
        total = 40 * ring.capacity + 123  # many wraps, ending mid-ring
        assert rb.pump(ring, total, stream, verify=True) == total
        assert len(ring) == 0 or len(ring) <= ring.capacity


@pytest.mark.parametrize("kind", KINDS)
def test_write_stops_when_full_and_read_when_empty(
    kind: type[rb.MirrorRing] | type[rb.SplitRing],
) -> None:
    with kind(4096) as ring:
        cap = ring.capacity
        data = memoryview(bytes(range(256)) * (cap // 256 + 8))
        assert ring.write(data) == cap and len(ring) == cap and ring.free() == 0
        assert ring.write(data[:10]) == 0
        out = memoryview(bytearray(cap + 100))
        assert ring.read_into(out) == cap and bytes(out[:cap]) == bytes(data[:cap])
        assert ring.read_into(out) == 0


@pytest.mark.parametrize("kind", KINDS)
def test_peek_across_the_wrap_sees_the_bytes_in_order(
    kind: type[rb.MirrorRing] | type[rb.SplitRing],
) -> None:
    with kind(4096) as ring:
        cap = ring.capacity
        ring.write(memoryview(bytes(cap - 10)))
        ring.consume(cap - 10)  # the next write straddles the end of the buffer
        msg = b"0123456789abcdefghij"
        assert ring.write(memoryview(msg)) == len(msg)
        assert bytes(ring.peek(len(msg))) == msg
        ring.consume(5)
        assert bytes(ring.peek(len(msg) - 5)) == msg[5:]
        with pytest.raises(ValueError, match="n: must be between 0 and the 15 buffered bytes"):
            ring.peek(16)
        with pytest.raises(ValueError, match="n: must be between"):
            ring.consume(-1)


@needs_mirror
def test_mirror_peek_is_a_view_of_the_ring_memory_not_a_copy() -> None:
    with rb.MirrorRing(4096) as ring:
        cap = ring.capacity
        ring.write(memoryview(bytes(cap - 3)))
        ring.consume(cap - 3)
        ring.write(memoryview(b"abcdef"))
        view = ring.peek(6)
        assert bytes(view) == b"abcdef"
        # Overwrite the start of the buffer through the ring's own memory (the
        # second copy's first bytes are the first copy's): a view sees it.
        ring._view[0] = ord("X")
        assert bytes(view) == b"abcXef"
        view.release()


def test_bad_capacity_is_an_argument_error() -> None:
    with pytest.raises(ValueError, match="capacity: must be > 0"):
        rb.SplitRing(0)


@needs_mirror
def test_mirror_ring_leaves_no_file_behind(tmp_path: object) -> None:
    import glob
    import os
    import tempfile

    where = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
    before = set(glob.glob(os.path.join(where, "mirror-ring-*")))
    ring = rb.MirrorRing(8192)
    assert set(glob.glob(os.path.join(where, "mirror-ring-*"))) == before
    ring.close()
    ring.close()  # idempotent


@needs_mirror
def test_mirror_ring_cannot_be_closed_under_a_live_peek_view() -> None:
    ring = rb.MirrorRing(4096)
    ring.write(memoryview(b"abc"))
    view = ring.peek(3)
    with pytest.raises(BufferError):
        ring.close()  # the memory must not vanish under the view
    assert bytes(view) == b"abc"
    assert ring.write(memoryview(b"d")) == 1  # still usable after the refusal
    assert bytes(ring.peek(4)) == b"abcd"
    view.release()
    ring.close()


@needs_mirror
def test_the_documented_examples_run() -> None:
    """The module docstring's and the examples README's code, as written."""
    from importlib import resources

    docstring = (rb.__doc__ or "").split("::", 1)[1].split("\n\nBoth rings", 1)[0]
    readme = resources.files("mmapspec.examples").joinpath("README.md").read_text()
    fenced = readme.split("```python\n", 1)[1].split("```", 1)[0]
    for code in ("\n".join(line[4:] for line in docstring.splitlines()), fenced):
        exec(compile(code, "<documented example>", "exec"), {})
