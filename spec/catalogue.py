"""The clause catalogue: every documented behaviour of ``mmap.md``, one entry each.

Each clause quotes the documentation's words verbatim (whitespace folded), so the
linter (``tests/spec/test_catalogue.py``) can check that the quote still stands in
the document, that every clause has at least one test, and that every test names a
clause that exists. The document itself ships beside this module (``mmap.md``, the
canonical copy) so that an installed package is complete.

Sections are the documentation's headings, named by their first signature
(``mmap.map``, ``map:flush``...); ``mmap`` is the opening part (features,
limitations, API table); ``safety`` holds what users expect that the words leave out.

Each clause has a ``basis`` (see :data:`Basis`). Where the document's words decide,
``checked`` may say how the clause is provoked or observed. Where they are ambiguous
or silent, the clause is a ``reading`` and states, in ``reading``, what the suite
takes the authors to have meant and why: a binding that reads the spot differently
is reported apart (``differs-from-reading``), not as broken.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from importlib import resources
from typing import Literal

Kind = Literal["returns", "fails", "raises", "crashes", "invariant"]

Basis = Literal["document", "reading", "safety"]
"""What decides a clause:

* ``document``: the document's words say what must happen. A failure is a deviation.
* ``reading``: the document is ambiguous or silent here; the clause checks the reading
  its authors evidently meant (``Clause.reading`` says which and why). A binding that
  reads the spot differently is reported ``differs-from-reading``, apart from the
  deviations, and is non-conformant only under ``--strict``.
* ``safety``: the document does not say it, but every user of a memory-mapping
  library expects it (no leaked descriptors, no shared memory readable by others...).
  Reported in its own section with its own verdict line; a failure is a deviation.
"""


@dataclasses.dataclass(frozen=True)
class Clause:
    id: str
    """Stable, dotted: ``<function>.<argument or topic>.<rule>``."""
    section: str
    """The documentation section (its heading's first signature), e.g. ``mmap.map``."""
    function: str
    """The API function the clause concerns, e.g. ``mmap.map`` or ``map:flush``."""
    kind: Kind
    quote: str
    """The documentation's words, verbatim up to whitespace."""
    errcode: str | None = None
    """For ``kind='fails'``: the documented errcode expected."""
    needs: frozenset[str] = frozenset()
    """Capability names (``Capabilities.names()``) without which the clause is unsupported."""
    reading: str | None = None
    """For ``basis='reading'``: the reading chosen where the document is ambiguous or
    silent, and why the authors evidently meant it."""
    basis: Basis = "document"
    checked: str | None = None
    """How the tests check the clause, where that needs saying (the quote decides what;
    this says how it is provoked or observed)."""


# Section names, in the document's order.
S_INTRO = "mmap"
S_MAP = "mmap.map"
S_FREE = "map:free"
S_FLUSH = "map:flush"
S_UNLINK = "mmap.unlink"
S_MIRROR = "mmap.mirror"
S_ALIGNED_SIZE = "mmap.aligned_size"
S_ALIGNED_ADDR = "mmap.aligned_addr"
S_PAGESIZE = "mmap.pagesize"
S_FILESIZE_GET = "mmap.filesize(file)"
S_FILESIZE_SET = "mmap.filesize(file, size)"
S_SAFETY = "safety"
"""Not a section of the document: what users expect that its words leave out."""
SECTIONS: tuple[str, ...] = (
    S_INTRO,
    S_MAP,
    S_FREE,
    S_FLUSH,
    S_UNLINK,
    S_MIRROR,
    S_ALIGNED_SIZE,
    S_ALIGNED_ADDR,
    S_PAGESIZE,
    S_FILESIZE_GET,
    S_FILESIZE_SET,
    S_SAFETY,
)

ID_PREFIXES: frozenset[str] = frozenset(
    {
        "mmap",
        "map",
        "free",
        "flush",
        "unlink",
        "mirror",
        "aligned_size",
        "aligned_addr",
        "pagesize",
        "filesize",
        "safety",
    }
)
"""The first segment of every clause ID: the function (or ``mmap`` for the opening part)."""

ID_PATTERN = re.compile(r"^[a-z][a-z_]*(\.[a-z0-9][a-z0-9_-]*)+$")

OS_ERRCODE = "os_error"
"""``Clause.errcode`` of clauses whose documented failure is "an OS-specific numeric error
code": the outcome's errcode is an int (which one depends on the OS)."""

_NAME = "file:name"
_NAMED = frozenset({_NAME})


def _needs(*caps: str) -> frozenset[str]:
    return frozenset(caps)


CLAUSES: tuple[Clause, ...] = (
    # ---------------------------------------------------------------- mmap (opening part)
    Clause(
        id="mmap.limitation.io-error-crashes",
        section=S_INTRO,
        function="mmap.map",
        kind="crashes",
        quote="I/O errors from accessing mmapped memory cause a crash.",
        needs=_NAMED,
        checked="Provoked as the classic I/O error of mapped memory: the file is truncated behind "
        "a live map and a page past the new end is read; the process holding the "
        "implementation must die by SIGBUS (or SIGSEGV; on Windows an in-page error or an "
        "access violation), never return garbage silently. Skipped where the OS refuses to "
        "shrink a mapped file (Windows: ERROR_USER_MAPPED_FILE), so no such error can be made.",
    ),
    # ---------------------------------------------------------------- mmap.map: call forms
    Clause(
        id="map.form.table",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="`mmap.map(args_t) -> map | nil,err,errcode`",
        needs=_needs(_NAME, "form:table"),
        checked="A file mapped with the argument table (file, access, size) returns a map whose "
        "bytes are the file's; no offset, so that a fault of offsets is not blamed here.",
    ),
    Clause(
        id="map.form.positional",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="`mmap.map(file, access, size, offset, addr, tagname) -> map | nil,err,errcode`",
        needs=_needs(_NAME, "form:positional"),
        checked="The same arguments given positionally and as a table give the same map: same "
        "size, same bytes, same permissions where the OS shows them (/proc/PID/maps; "
        "Windows: VirtualQueryEx); the sixth argument names shared memory (/dev/shm on "
        "Linux, a POSIX shared-memory object on macOS, the section Local\\NAME on Windows).",
    ),
    # ---------------------------------------------------------------- mmap.map: file
    Clause(
        id="map.file.omitted-maps-pagefile",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="`file`: the file to map: optional; if nil, a portion of the system pagefile "
        "will be mapped instead",
        needs=_needs("anonymous"),
    ),
    Clause(
        id="map.pagefile.size-required",
        section=S_MAP,
        function="mmap.map",
        kind="raises",
        quote="`size`: the size of the memory segment (optional, defaults to file size).",
        needs=_needs("anonymous"),
        basis="reading",
        reading="With no file, no tagname and no size there is no file whose size 'defaults to "
        "file size' could take, and the document names no other default; a size of zero "
        'must raise ("if given it must be > 0"), so a missing one is the same bad '
        "argument: an error is raised. The authors' own implementation asserts 'size "
        "expected when mapping the pagefile'.",
    ),
    Clause(
        id="map.file.name",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="a string representing the utf8 filename to open.",
        needs=_NAMED,
        checked="Including a name outside ASCII, given as UTF-8.",
    ),
    Clause(
        id="map.file.fd",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="a number representing a file descriptor opened in a compatible mode.",
        needs=_needs("file:fd"),
    ),
    Clause(
        id="map.file.fileobj",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="a `FILE*` object opened in a compatible mode.",
        needs=_needs("file:fileobj"),
    ),
    Clause(
        id="map.file.handle",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="a `void*` representing a Windows HANDLE opened in a compatible mode.",
        needs=_needs("file:handle"),
    ),
    # ---------------------------------------------------------------- mmap.map: access
    Clause(
        id="map.access.default-read-only",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="'' (read-only, default)",
        needs=_NAMED,
        checked="The map reads the file; where the OS shows mappings (/proc/PID/maps; Windows: "
        "VirtualQueryEx) it is not writable.",
    ),
    Clause(
        id="map.access.w",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="'w' (read + write)",
        needs=_needs(_NAME, "access:w"),
        checked="Bytes written to the map are in the file (read back through the OS, not through "
        "the binding); the OS shows a shared, writable mapping (/proc/PID/maps; Windows: a "
        "view's page protection, copy-on-write views counted private).",
    ),
    Clause(
        id="map.access.c",
        section=S_MAP,
        function="mmap.map",
        kind="invariant",
        quote="'c' (read + copy-on-write)",
        needs=_needs(_NAME, "access:c"),
        checked="Copy-on-write: the map sees its own writes; the file (read through the OS) never "
        "does, nor does any other map of it, even when the file was handed over opened "
        "for reading and writing.",
    ),
    Clause(
        id="map.access.x",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="'x' (read + execute)",
        needs=_needs(_NAME, "access:x", "addr"),
        checked="Checked for real where the OS reports it: the mapping is readable, executable "
        "and not writable in /proc/PID/maps (Linux) or in VirtualQueryEx (Windows).",
    ),
    Clause(
        id="map.access.wx",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="'wx' (read + write + execute)",
        needs=_needs(_NAME, "access:wx", "addr"),
    ),
    Clause(
        id="map.access.cx",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="'cx' (read + copy-on-write + execute)",
        needs=_needs(_NAME, "access:cx", "addr"),
    ),
    Clause(
        id="map.access.others-raise",
        section=S_MAP,
        function="mmap.map",
        kind="raises",
        quote="`access`: can be either:",
        needs=_NAMED,
        basis="reading",
        reading="'can be either' followed by a list reads as the complete list of access strings: "
        "any other string is a bad argument and raises an error. Treating an unknown "
        "string as some mode instead could grant write or execute access nobody asked "
        "for, which the authors, who made every bad argument of map an error, evidently "
        "did not mean.",
    ),
    # ---------------------------------------------------------------- mmap.map: size
    Clause(
        id="map.size.given",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="`size`: the size of the memory segment (optional, defaults to file size).",
        needs=_NAMED,
        checked="Of a longer file, so that a map of the whole file is told apart: map.size is "
        "the size given (or that size rounded up to whole pages, which is "
        "map.result.size-not-rounded's question), the map holds the file's first `size` "
        "bytes, and where the OS shows mappings the OS maps `size` rounded up to its own "
        "pages (Windows: 4 KiB inside pagesize()'s 64 KiB), not more.",
    ),
    Clause(
        id="map.size.must-be-positive",
        section=S_MAP,
        function="mmap.map",
        kind="raises",
        quote="if given it must be > 0 or an error is raised.",
    ),
    Clause(
        id="map.size.default-is-file-size",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="if not given, the file size is assumed.",
        needs=_NAMED,
    ),
    Clause(
        id="map.size.default-with-offset",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="`size`: the size of the memory segment (optional, defaults to file size).",
        needs=_NAMED,
        basis="reading",
        reading="With an offset and no size, 'defaults to file size' cannot mean the whole file "
        "size: the segment would then run offset bytes past the end, which the "
        "'file_too_short' rule forbids. Evidently the default is the rest of the file "
        "from the offset (file size - offset), and `map.size` is that number; when "
        "nothing is left (offset >= file size) the map fails with 'file_too_short', as "
        "for an empty file.",
    ),
    Clause(
        id="map.size.default-with-offset-not-past-end",
        section=S_MAP,
        function="mmap.map",
        kind="fails",
        errcode="file_too_short",
        quote="if write access is not given (or the file is the pagefile which can't be "
        "resized), the mapping fails with `'file_too_short'` error.",
        needs=_NAMED,
        checked="A spot every reading decides alike: a read-only map with an offset and no "
        "size either fails with 'file_too_short' (the words read literally: the file size "
        "from the offset runs past the end) or maps at most the rest of the file "
        "(map.size.default-with-offset's reading); a map.size past the end of the file "
        "is rejected by both.",
    ),
    Clause(
        id="map.size.default-empty-file-fails",
        section=S_MAP,
        function="mmap.map",
        kind="fails",
        errcode="file_too_short",
        quote="if the file is empty the mapping fails with `'file_too_short'` error.",
        needs=_NAMED,
        checked="In every access mode, write access included (with no size there is nothing to "
        "extend the file to), and for a missing file that write access creates empty.",
    ),
    # ---------------------------------------------------------------- mmap.map: missing file
    Clause(
        id="map.file.missing-write-creates",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="if write access is given, the file is created.",
        needs=_needs(_NAME, "access:w"),
        checked="The file exists after the map (checked through the OS); how long it is made is "
        "map.file.short-write-extends' business.",
    ),
    Clause(
        id="map.errcode.no-file",
        section=S_MAP,
        function="mmap.map",
        kind="fails",
        errcode="no_file",
        quote="if write access is not given, the mapping fails with `'no_file'` error.",
        needs=_NAMED,
        checked="With '' and 'x', the modes that plainly give no write access; 'c' and 'cx' are "
        "map.errcode.no-file-copy-on-write.",
    ),
    Clause(
        id="map.errcode.no-file-copy-on-write",
        section=S_MAP,
        function="mmap.map",
        kind="fails",
        errcode="no_file",
        quote="if write access is not given, the mapping fails with `'no_file'` error.",
        needs=_needs(_NAME, "access:c"),
        basis="reading",
        reading="'c' and 'cx' count as write access not given: a copy-on-write map never "
        "writes the file (its writes stay in memory), so it needs the file only for reading, "
        "and creating a file nobody will write would leave an empty file behind. A missing "
        "file mapped 'c' or 'cx' fails with 'no_file'.",
    ),
    Clause(
        id="map.errcode.no-file-meaning",
        section=S_MAP,
        function="mmap.map",
        kind="fails",
        errcode="no_file",
        quote="`'no_file'` - file not found.",
        needs=_NAMED,
        checked="'no_file' is map's code for a file that is not found in the plain sense: a path "
        "in a directory that does not exist, a dangling symbolic link (mmap.filesize says "
        "'not_found' for the same situation: different functions, different codes).",
    ),
    # ---------------------------------------------------------------- mmap.map: short file
    Clause(
        id="map.errcode.file-too-short",
        section=S_MAP,
        function="mmap.map",
        kind="fails",
        errcode="file_too_short",
        quote="if write access is not given (or the file is the pagefile which can't be "
        "resized), the mapping fails with `'file_too_short'` error.",
        needs=_NAMED,
        checked="With '' and 'x' and no offset, a size beyond the end of the file (empty files "
        "included); 'c' and 'cx' are map.errcode.file-too-short-copy-on-write.",
    ),
    Clause(
        id="map.errcode.file-too-short-copy-on-write",
        section=S_MAP,
        function="mmap.map",
        kind="fails",
        errcode="file_too_short",
        quote="if write access is not given (or the file is the pagefile which can't be "
        "resized), the mapping fails with `'file_too_short'` error.",
        needs=_needs(_NAME, "access:c"),
        basis="reading",
        reading="'c' and 'cx' count as write access not given: a copy-on-write map never "
        "writes the file, so it must not extend it either. A file shorter than offset + size "
        "mapped 'c' or 'cx' fails with 'file_too_short'.",
    ),
    Clause(
        id="map.errcode.file-too-short-meaning",
        section=S_MAP,
        function="mmap.map",
        kind="fails",
        errcode="file_too_short",
        quote="`'file_too_short'` - the file is shorter than the required size.",
        needs=_NAMED,
        checked="'The required size' is offset + size, as the bullet on short files says: with an "
        "offset, a file of exactly offset + size bytes maps, one byte shorter fails.",
    ),
    Clause(
        id="map.pagefile.cannot-be-resized",
        section=S_MAP,
        function="mmap.map",
        kind="fails",
        errcode="out_of_mem",
        quote="if write access is not given (or the file is the pagefile which can't be "
        "resized), the mapping fails with `'file_too_short'` error.",
        needs=_needs("anonymous"),
        basis="reading",
        reading="A pagefile map too large for the system is named by two sentences at once: this "
        "bullet ('file_too_short') and the errcode list ('out_of_mem' - size too large). "
        "Which one an implementation returns depends on which OS limit it meets first "
        "(the commit limit of the pagefile or the address space), so either is accepted; "
        "what is read into the bullet is that write access does not help: the pagefile is "
        "never extended the way a file is, so such a map fails instead of being granted.",
    ),
    Clause(
        id="map.file.short-write-extends",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="if write access is given, the file is extended.",
        needs=_needs(_NAME, "access:w"),
        checked="Extended to exactly offset + size, the size the bullet requires (through the "
        "OS's view of the file); the bytes already in the file are kept.",
    ),
    Clause(
        id="map.errcode.disk-full",
        section=S_MAP,
        function="mmap.map",
        kind="fails",
        errcode="disk_full",
        quote="if the disk is full, the mapping fails with `'disk_full'` error.",
        needs=_needs(_NAME, "access:w"),
        checked="Provoked on a real full filesystem: a 1 MiB tmpfs the test mounts when it may "
        "(root), else a per-process file-size limit (RLIMIT_FSIZE) set on an isolated "
        "implementation process, whose failure to extend the file is the same documented "
        "condition. The test records which was used (user property 'disk_full_method').",
    ),
    Clause(
        id="map.errcode.disk-full-meaning",
        section=S_MAP,
        function="mmap.map",
        kind="fails",
        errcode="disk_full",
        quote="`'disk_full'` - the file cannot be extended because the disk is full.",
        needs=_needs(_NAME, "access:w"),
        checked="The code is about extending the file: on the same full filesystem, a map that "
        "needs no extension succeeds, and one without write access on a short file fails "
        "with 'file_too_short', not 'disk_full'.",
    ),
    # ---------------------------------------------------------------- mmap.map: offset
    Clause(
        id="map.offset.default-zero",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="`offset`: offset in the file (optional, defaults to 0).",
        needs=_NAMED,
    ),
    Clause(
        id="map.offset.maps-from-offset",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="`offset`: offset in the file (optional, defaults to 0).",
        needs=_NAMED,
        checked="The map's byte i is the file's byte offset + i.",
    ),
    Clause(
        id="map.offset.must-be-non-negative",
        section=S_MAP,
        function="mmap.map",
        kind="raises",
        quote="if given, must be >= 0 or an error is raised.",
        needs=_NAMED,
    ),
    Clause(
        id="map.offset.must-be-aligned",
        section=S_MAP,
        function="mmap.map",
        kind="raises",
        quote="must be aligned to a page boundary or an error is raised.",
        needs=_NAMED,
    ),
    Clause(
        id="map.offset.ignored-for-pagefile",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="ignored when mapping the pagefile.",
        needs=_needs("anonymous"),
        checked="An aligned offset given with no file changes nothing: the map has the size asked "
        "for and all of it is usable. Whether an offset no file could take is rejected is "
        "map.offset.pagefile-not-validated.",
    ),
    Clause(
        id="map.offset.pagefile-not-validated",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="ignored when mapping the pagefile.",
        needs=_needs("anonymous"),
        basis="reading",
        reading="'Ignored' comes right after the two bullets that make a bad offset an "
        "error, as the exception to them: an argument that is ignored is not looked at, so "
        "an unaligned or negative offset does not fail a pagefile map either.",
    ),
    # ---------------------------------------------------------------- mmap.map: addr
    Clause(
        id="map.addr.used",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="`addr`: address to use (optional; an error is raised if zero).",
        needs=_needs("anonymous", "addr", "addr_request"),
        checked="A free, page-aligned address asked for is the address the map gets; the address "
        "is found free in /proc/PID/maps where the OS has it.",
    ),
    Clause(
        id="map.addr.zero-raises",
        section=S_MAP,
        function="mmap.map",
        kind="raises",
        quote="`addr`: address to use (optional; an error is raised if zero).",
        needs=_needs("anonymous", "addr_request"),
    ),
    Clause(
        id="map.errcode.out-of-mem-size",
        section=S_MAP,
        function="mmap.map",
        kind="fails",
        errcode="out_of_mem",
        quote="`'out_of_mem'` - size or address too large or specified address in use.",
        needs=_needs("anonymous"),
        checked="A pagefile map of 2**60 bytes (2**53 for a binding declaring f64 integers), "
        "more than any machine has. The document names two "
        "codes for it: 'out_of_mem' (this line) and 'file_too_short' (the pagefile 'can't "
        "be resized'), so either passes; a raise, a success or a numeric code does not.",
    ),
    Clause(
        id="map.errcode.out-of-mem-addr-too-large",
        section=S_MAP,
        function="mmap.map",
        kind="fails",
        errcode="out_of_mem",
        quote="`'out_of_mem'` - size or address too large or specified address in use.",
        needs=_needs("anonymous", "addr_request"),
        checked="An aligned address beyond any user address space (2**62; not tried for a "
        "binding declaring f64 integers, whose range ends at 2**53).",
    ),
    Clause(
        id="map.errcode.out-of-mem-addr-in-use",
        section=S_MAP,
        function="mmap.map",
        kind="fails",
        errcode="out_of_mem",
        quote="`'out_of_mem'` - size or address too large or specified address in use.",
        needs=_needs("anonymous", "addr", "addr_request"),
        checked="Both at the start of a live map and overlapping its second page; the map living "
        "there is left intact (a failure that clobbered it would not be a failure).",
    ),
    Clause(
        id="map.errcode.os-specific",
        section=S_MAP,
        function="mmap.map",
        kind="fails",
        errcode=OS_ERRCODE,
        quote="an OS-specific numeric error code.",
        needs=_needs(_NAME, "access:w"),
        checked="Anything that is none of the documented conditions, e.g. a directory given as "
        "the file, fails with an int errcode, not a string and not a raise.",
    ),
    Clause(
        id="map.fails.leaves-files-alone",
        section=S_MAP,
        function="mmap.map",
        kind="invariant",
        quote="If the mapping fails, returns `nil,err,errcode` where `errcode` can be:",
        needs=_NAMED,
        basis="reading",
        reading="The document says what a failing map returns, not what it leaves behind. Read "
        "as: a failing map never truncates, rewrites or removes a file that existed "
        "before the call, because the failures listed are all reasons for not mapping at "
        "all, and costing the caller data when nothing was mapped serves no purpose.",
    ),
    Clause(
        id="map.fails.removes-created-file",
        section=S_MAP,
        function="mmap.map",
        kind="invariant",
        quote="If the mapping fails, returns `nil,err,errcode` where `errcode` can be:",
        needs=_needs(_NAME, "access:w"),
        basis="reading",
        reading="The document does not say what a failing map leaves behind. Read as: a map "
        "that created a file (or a tagname's shared memory) and then failed removes it again, "
        "so the call has no lasting effect; otherwise the next map without write access "
        "would find an empty file and fail with 'file_too_short' instead of 'no_file'.",
        checked="The file is looked for by name; a tagname's shared memory is asked of the OS "
        "(/dev/shm/NAME on Linux, shm_open on macOS, on Windows the named section "
        "Local\\NAME: the session's namespace, where a name without a prefix lands for a "
        "program a user runs).",
    ),
    # ---------------------------------------------------------------- mmap.map: tagname
    Clause(
        id="map.tagname.same-process",
        section=S_MAP,
        function="mmap.map",
        kind="invariant",
        quote="using the same name in two different processes (or in the same process) "
        "gives access to the same memory.",
        needs=_needs("tagname", "unlink"),
    ),
    Clause(
        id="map.tagname.two-processes",
        section=S_MAP,
        function="mmap.map",
        kind="invariant",
        quote="using the same name in two different processes (or in the same process) "
        "gives access to the same memory.",
        needs=_needs("tagname", "unlink"),
        checked="Both processes give the size; each sees the other's writes, and the memory "
        "outlives the other process.",
    ),
    Clause(
        id="map.tagname.not-with-file",
        section=S_MAP,
        function="mmap.map",
        kind="raises",
        quote="`tagname`: name of the memory map (optional; cannot be used with `file`;",
        needs=_needs(_NAME, "tagname"),
    ),
    Clause(
        id="map.tagname.no-slashes",
        section=S_MAP,
        function="mmap.map",
        kind="raises",
        quote="must not contain slashes or backslashes)",
        needs=_needs("tagname"),
    ),
    Clause(
        id="map.tagname.default-size",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="if not given, the file size is assumed.",
        needs=_needs("tagname", "unlink"),
        basis="reading",
        reading="'Defaults to file size' read for a tagname: the file is the shared memory object "
        "the tagname names (the unlink section says one is created on the filesystem), so "
        "with no size the map takes the size of the existing object.",
    ),
    Clause(
        id="map.tagname.missing-read-only-fails",
        section=S_MAP,
        function="mmap.map",
        kind="fails",
        errcode="no_file",
        quote="if write access is not given, the mapping fails with `'no_file'` error.",
        needs=_needs("tagname", "unlink"),
        basis="reading",
        reading="The rules for a file that does not exist read for a tagname: the shared memory "
        "file (see the unlink section) is the file, so a tagname whose shared memory does "
        "not exist, mapped without write access, fails with 'no_file'.",
    ),
    Clause(
        id="map.tagname.created-empty-fails",
        section=S_MAP,
        function="mmap.map",
        kind="fails",
        errcode="file_too_short",
        quote="if the file is empty the mapping fails with `'file_too_short'` error.",
        needs=_needs("tagname", "unlink", "access:w"),
        basis="reading",
        reading="The rules for files read for a tagname: with write access a missing shared "
        "memory file is created, empty, and with no size 'if the file is empty the "
        "mapping fails with file_too_short'.",
    ),
    Clause(
        id="map.tagname.short-read-only-fails",
        section=S_MAP,
        function="mmap.map",
        kind="fails",
        errcode="file_too_short",
        quote="if write access is not given (or the file is the pagefile which can't be "
        "resized), the mapping fails with `'file_too_short'` error.",
        needs=_needs("tagname", "unlink", "access:w"),
        basis="reading",
        reading="The rules for a short file read for a tagname: the shared memory file (see "
        "the unlink section) is the file, so mapping more than it holds without write access "
        "fails with 'file_too_short' rather than growing the memory or mapping past its end.",
    ),
    # ---------------------------------------------------------------- mmap.map: result
    Clause(
        id="map.result.addr",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="`addr` - a `void*` pointer to the mapped memory",
        needs=_needs("anonymous", "addr"),
        checked="A non-null address; live maps never overlap.",
    ),
    Clause(
        id="map.result.size",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="`size` - the actual size of the memory block",
        needs=_NAMED,
        checked="The field tells the truth about the block: the map's bytes are the file's up "
        "to map.size, and where /proc/PID/maps is available the mapping spans map.size "
        "rounded up to whole pages. Whether it is rounded is "
        "map.result.size-not-rounded.",
    ),
    Clause(
        id="map.result.size-not-rounded",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="`size` - the actual size of the memory block",
        needs=_NAMED,
        basis="reading",
        reading="'The actual size' could be the whole pages the OS maps; read as the size "
        "asked for (or the file's size when none is given), not rounded up: the size "
        "argument is 'the size of the memory segment', one byte included, and mmap.mirror, "
        "whose size is rounded, says so ('automatically aligned to the next page size') "
        "where map says nothing of the kind. 'Actual' is there because the size may be left "
        "out and then comes from the file.",
    ),
    # ---------------------------------------------------------------- mmap.map: NOTEs
    Clause(
        id="map.note.write-buffers-flushed",
        section=S_MAP,
        function="mmap.map",
        kind="returns",
        quote="write buffers are flushed before mapping an already-opened file.",
        needs=_needs("file:fileobj"),
        checked="Bytes written through a FILE* and still in its user-space buffer are in the map, "
        "and count for the default size.",
    ),
    Clause(
        id="map.note.write-read-only-crashes",
        section=S_MAP,
        function="mmap.map",
        kind="crashes",
        quote="attempting to write to a memory block that wasn't mapped with write or "
        "copy-on-write access results in a crash.",
        checked="The crash is the process dying by SIGSEGV or SIGBUS (on Windows by an access "
        "violation, 0xC0000005); checked in an isolated implementation process.",
    ),
    Clause(
        id="map.note.external-changes",
        section=S_MAP,
        function="mmap.map",
        kind="invariant",
        quote="changes done externally to a mapped file may not be visible immediately "
        "(or at all) to the mapped memory.",
        needs=_needs(_NAME, "access:w"),
        checked="No visibility is promised, so the test asks only that each changed byte reads as "
        "its old or its new value, untouched bytes are unchanged, and the map stays "
        "usable.",
    ),
    Clause(
        id="map.note.synchronized-sharing",
        section=S_MAP,
        function="mmap.map",
        kind="invariant",
        quote="access to shared memory from multiple processes must be synchronized.",
        needs=_needs("tagname", "unlink"),
        basis="reading",
        reading="The sentence states a duty of the user; the promise it implies in return is that "
        "accesses the user has ordered see each other: after each process's turn, the "
        "other process sees every byte it wrote. Otherwise synchronising would be "
        "pointless.",
    ),
    # ---------------------------------------------------------------- map:free
    Clause(
        id="free.releases-memory",
        section=S_FREE,
        function="map:free",
        kind="returns",
        quote="Free the memory and all associated resources",
        needs=_needs("anonymous", "addr"),
        checked="Where the OS reports mappings (/proc/PID/maps; Windows: VirtualQueryEx): "
        "every page of the map is gone after free.",
    ),
    Clause(
        id="free.closes-file-opened-by-map",
        section=S_FREE,
        function="map:free",
        kind="returns",
        quote="close the file if it was opened by `mmap.map()`.",
        needs=_NAMED,
        checked="After free no descriptor and no mapping of the process refers to the file "
        "(/proc/PID/fd and /proc/PID/maps; on Windows, which names no handle's file, the "
        "file opens exclusively, so nothing holds it, and VirtualQueryEx maps none of it).",
    ),
    Clause(
        id="free.keeps-caller-file-open",
        section=S_FREE,
        function="map:free",
        kind="returns",
        quote="close the file if it was opened by `mmap.map()`.",
        needs=_needs("file:fd"),
        basis="reading",
        reading="The words name only the file map opened as one to close; a descriptor or "
        "FILE* the caller passed in is taken to stay open and usable after free. It is the "
        "caller's: closing it would break the caller's own later use of it, and the "
        "condition 'if it was opened by mmap.map()' exists only to exclude it.",
        checked="The adapter, which opened the descriptor or file object, closes it after "
        "free (a descriptor closed under it is an error of free); nothing of the file stays "
        "open or mapped, and the file is unchanged.",
    ),
    Clause(
        id="free.freed-memory-refused",
        section=S_FREE,
        function="map:free",
        kind="raises",
        quote="Free the memory and all associated resources",
        needs=_needs("anonymous", "access:w"),
        basis="reading",
        reading="The document does not say what a freed map does when it is read or "
        "written through. Read as: an error is raised, and the address it had is not "
        "touched: the memory is gone, and by now the address may be another mapping's, "
        "whose bytes a read would leak and a write would clobber. Freeing is the end of "
        "the map's life, as closing is for a file.",
        checked="A pagefile map is freed, then read and written through its handle: both "
        "must raise. The adapter keeps a freed map's object for this (the reference's, and "
        "the Python harness serving it, do); an adapter that forgets the handle raises for "
        "the binding.",
    ),
    # ---------------------------------------------------------------- map:flush
    Clause(
        id="flush.sync",
        section=S_FLUSH,
        function="map:flush",
        kind="returns",
        quote="Flush (part of) the memory to disk.",
        needs=_needs(_NAME, "access:w"),
        checked="flush() returns true and the written pages are on disk: where the OS counts "
        "a file's dirty pages (Linux cachestat), none of the map's is left; the file holds "
        "the bytes.",
    ),
    Clause(
        id="flush.forms",
        section=S_FLUSH,
        function="map:flush",
        kind="returns",
        quote="`map:flush([async, ][addr, size]) -> true | nil,err,errcode`",
        needs=_needs(_NAME, "access:w"),
        checked="All four forms, (), (async), (addr, size) and (async, addr, size), with "
        "async false and true, return true; a form with async or a range is skipped where "
        "the binding does not declare it (those have clauses of their own).",
    ),
    Clause(
        id="flush.async",
        section=S_FLUSH,
        function="map:flush",
        kind="returns",
        quote="If `async` is true, perform the operation asynchronously and return immediately.",
        needs=_needs(_NAME, "access:w", "async_flush"),
        checked="flush(true) returns true and nothing written before or after it is lost. "
        "When the asynchronous write completes cannot be observed from outside, so timing "
        "is not asserted.",
    ),
    Clause(
        id="flush.range",
        section=S_FLUSH,
        function="map:flush",
        kind="returns",
        quote="Flush (part of) the memory to disk.",
        needs=_needs(_NAME, "access:w", "range_flush", "addr"),
        checked="flush(addr, size) of any page-aligned part of the map returns true, and "
        "where the OS counts dirty pages every page of that part is on disk.",
    ),
    Clause(
        id="flush.unaligned-addr-aligned-left",
        section=S_FLUSH,
        function="map:flush",
        kind="returns",
        quote="If the address is not aligned, it will be automatically aligned to the left.",
        needs=_needs(_NAME, "access:w", "range_flush", "addr"),
        checked="An unaligned address inside the map never fails: flush returns true, and "
        "the page holding the address is on disk afterwards.",
    ),
    Clause(
        id="flush.unaligned-addr-covers-range",
        section=S_FLUSH,
        function="map:flush",
        kind="returns",
        quote="If the address is not aligned, it will be automatically aligned to the left.",
        needs=_needs(_NAME, "access:w", "range_flush", "addr"),
        basis="reading",
        reading="The words say where the start goes, not the end. Aligning moves the start "
        "only: the length grows by what the address moved, so every page of the requested "
        "[addr, addr + size) is flushed. A caller asks for that range to reach the disk; "
        "the alignment is there because the OS (msync) wants an aligned start, not to "
        "drop the range's last page.",
        checked="Where the OS counts dirty pages, every page overlapping [addr, addr + size) "
        "is on disk after the flush, the last one included (e.g. addr one byte before a "
        "page boundary, size 2).",
    ),
    Clause(
        id="flush.freed-map-raises",
        section=S_FLUSH,
        function="map:flush",
        kind="raises",
        quote="Flush (part of) the memory to disk.",
        needs=_needs("anonymous", "access:w"),
        basis="reading",
        reading="The document does not say what flush does once the map is freed. Read as: "
        "an error is raised, and never `true`: after free there is no memory to flush, and "
        "`true` would tell the caller that its data reached the disk when nothing was "
        "written (a binding did return true and flushed nothing). Any use of a freed map "
        "is an error, as is any use of a closed file.",
        checked="A pagefile map is freed, then flushed (sync, async, and a range): each must "
        "raise. The adapter keeps a freed map's object for this (the reference's, and the "
        "Python harness serving it, do); an adapter that forgets the handle raises for the "
        "binding.",
    ),
    # ---------------------------------------------------------------- mmap.unlink
    Clause(
        id="unlink.function-removes",
        section=S_UNLINK,
        function="mmap.unlink",
        kind="returns",
        quote="Remove a (the) shared memory file from disk.",
        needs=_needs("tagname", "unlink"),
        basis="reading",
        reading="The heading calls the argument `filename` and the API table `file`, but the "
        "only file the section speaks of is the one a tagname creates. The argument is "
        "taken to be the tagname: the one name of that file a user knows and can give on "
        "every OS (on Linux the file is /dev/shm/NAME, on OS X it has no path at all).",
        checked="After mmap.unlink(tagname), whether its maps are freed or still open, the "
        "shared memory object is gone (on Linux /dev/shm/NAME no longer exists). Skipped on "
        "Windows, where the document says no file is made ('not so on Windows'): the "
        "memory lives while a map of it does, and there is nothing to remove.",
    ),
    Clause(
        id="unlink.method-removes",
        section=S_UNLINK,
        function="map:unlink",
        kind="returns",
        quote="`map:unlink()`",
        needs=_needs("tagname", "unlink"),
        checked="After map:unlink() of a map of a tagname, its shared memory object is gone "
        "(on Linux /dev/shm/NAME no longer exists). Skipped on Windows ('not so on "
        "Windows': no file is made, so there is nothing to remove).",
    ),
    Clause(
        id="unlink.manual",
        section=S_UNLINK,
        function="mmap.unlink",
        kind="returns",
        quote="That file must be removed manually when it is no longer needed.",
        needs=_needs("tagname", "unlink"),
        checked="Freeing every map of a tagname leaves its shared memory object, with its "
        "contents (read from /dev/shm/NAME on Linux). Skipped on Windows, where the "
        "document says no file is made: a named section goes with its last map.",
    ),
    Clause(
        id="unlink.while-mapped",
        section=S_UNLINK,
        function="mmap.unlink",
        kind="invariant",
        quote="this can be done anytime, even while mappings are open and will not affect "
        "said mappings.",
        needs=_needs("tagname", "unlink"),
        checked="map:unlink() while two maps of the tagname are open: both keep working and "
        "keep sharing; a map of the name made afterwards is new memory (not asked on "
        "Windows, where no file is made and unlink has nothing to remove: there the name "
        "still names the open maps' memory).",
    ),
    # ---------------------------------------------------------------- mmap.mirror
    Clause(
        id="mirror.form.table",
        section=S_MIRROR,
        function="mmap.mirror",
        kind="returns",
        quote="`mmap.mirror(args_t) -> map | nil,err,errcode`",
        needs=_needs("mirror", _NAME, "form:table"),
        checked="mirror{file=, size=, times=3} returns a mirror whose copies are the same "
        "memory: a write through one reads back through the others.",
    ),
    Clause(
        id="mirror.form.positional",
        section=S_MIRROR,
        function="mmap.mirror",
        kind="returns",
        quote="`mmap.mirror(file, size[, times[, addr]]) -> map | nil,err,errcode`",
        needs=_needs("mirror", _NAME, "form:positional"),
        checked="As for the table form, with the arguments given by position.",
    ),
    Clause(
        id="mirror.file.required",
        section=S_MIRROR,
        function="mmap.mirror",
        kind="raises",
        quote="`file`: the file to map: required (the access is 'w').",
        needs=_needs("mirror"),
        basis="reading",
        reading="The words make `file` required but do not say what happens without one. "
        "Omitting a required argument is taken to be a programming error, so an error is "
        "raised, as the document does for map's bad arguments ('... or an error is "
        "raised'), rather than a nil,err,errcode return, which the document keeps for "
        "conditions of the system (missing files, full disks).",
    ),
    Clause(
        id="mirror.access-w",
        section=S_MIRROR,
        function="mmap.mirror",
        kind="returns",
        quote="`file`: the file to map: required (the access is 'w').",
        needs=_needs("mirror", _NAME),
        checked="The map is shared and writable: bytes written through any copy are in the "
        "file (read through the OS while the mirror is live).",
    ),
    Clause(
        id="mirror.access-w.creates",
        section=S_MIRROR,
        function="mmap.mirror",
        kind="returns",
        quote="`file`: the file to map: required (the access is 'w').",
        needs=_needs("mirror", _NAME),
        basis="reading",
        reading="'The access is w' is taken to bring map's rules for write access with it: a "
        "missing file is created ('if write access is given, the file is created') and "
        "extended to hold the segment, so a ring buffer can be made on a new file as a "
        "map with 'w' can.",
    ),
    Clause(
        id="mirror.size.aligned",
        section=S_MIRROR,
        function="mmap.mirror",
        kind="returns",
        quote="`size`: the size of the memory segment: required, automatically aligned to "
        "the next page size.",
        needs=_needs("mirror", _NAME),
        checked="For a size that is not a page multiple, the copies are whole pages apart: "
        "byte i of the first copy is byte aligned + i of the mirror, with the page size "
        "the OS reports.",
    ),
    Clause(
        id="mirror.size.reported",
        section=S_MIRROR,
        function="mmap.mirror",
        kind="returns",
        quote="`size`: the size of the memory segment: required, automatically aligned to "
        "the next page size.",
        needs=_needs("mirror", _NAME),
        basis="reading",
        reading="The result's `size` field is taken to be the segment's size after alignment, "
        "the size of one copy: the invariant indexes a copy with i in 0..size-1 and places "
        "the copies size apart, which holds only for the aligned size of one copy, not the "
        "size asked for nor times*size.",
    ),
    Clause(
        id="mirror.size.required",
        section=S_MIRROR,
        function="mmap.mirror",
        kind="raises",
        quote="`size`: the size of the memory segment: required, automatically aligned to "
        "the next page size.",
        needs=_needs("mirror", _NAME),
        basis="reading",
        reading="As for `file`: the words make `size` required without saying what happens "
        "without one; a missing required argument is taken to be a programming error, "
        "which raises an error.",
    ),
    Clause(
        id="mirror.times.default-2",
        section=S_MIRROR,
        function="mmap.mirror",
        kind="returns",
        quote="`times`: how many times to mirror the segment (optional, default: 2)",
        needs=_needs("mirror", _NAME),
        checked="Without times: two maps in the array part, and a write across the end of "
        "the first copy wraps to the start.",
    ),
    Clause(
        id="mirror.times.invalid-raises",
        section=S_MIRROR,
        function="mmap.mirror",
        kind="raises",
        quote="`times`: how many times to mirror the segment (optional, default: 2)",
        needs=_needs("mirror", _NAME),
        basis="reading",
        reading="The document is silent on times below 1. Zero or negative copies cannot "
        "mirror anything, so such a times is taken to be a bad argument and, as with map's "
        "bad arguments, an error is raised.",
    ),
    Clause(
        id="mirror.addr.used",
        section=S_MIRROR,
        function="mmap.mirror",
        kind="returns",
        quote="`addr`: address to use (optional; can be anything convertible to `void*`).",
        needs=_needs("mirror", _NAME, "addr", "addr_request"),
        checked="An address where a mirror of the same shape just was (freed since) is the "
        "address the mirror asked for it gets.",
    ),
    Clause(
        id="mirror.errcode.out-of-mem-addr-in-use",
        section=S_MIRROR,
        function="mmap.mirror",
        kind="fails",
        errcode="out_of_mem",
        quote="`'out_of_mem'` - size or address too large or specified address in use.",
        needs=_needs("mirror", _NAME, "anonymous", "addr", "addr_request"),
        checked="The errcode list stands under mmap.map, but it names the failure of any "
        "function that takes an `addr` ('specified address in use'), and mirror's own "
        "signature returns `nil,err,errcode` for its addr: a mirror asked for at the start "
        "of a live map fails with 'out_of_mem', and the map living there is left intact.",
    ),
    Clause(
        id="mirror.result.maps",
        section=S_MIRROR,
        function="mmap.mirror",
        kind="returns",
        quote="The result is a table with `addr` and `size` fields and all the mirror map "
        "objects in its array part",
        needs=_needs("mirror", _NAME, "addr"),
        checked="For a page-multiple size: `times` maps, the k-th (from 0) at addr + k*size "
        "and size bytes long.",
    ),
    Clause(
        id="mirror.free-frees-all",
        section=S_MIRROR,
        function="mmap.mirror",
        kind="returns",
        quote="(freeing the mirror will free all the maps)",
        needs=_needs("mirror", _NAME, "addr"),
        checked="After freeing the mirror nothing of its span is mapped (/proc/PID/maps).",
    ),
    Clause(
        id="mirror.invariant",
        section=S_MIRROR,
        function="mmap.mirror",
        kind="invariant",
        quote="The memory block at `addr` is mirrored such that `(char*)addr[o1*i] == "
        "(char*)addr[o2*i]` for any `o1` and `o2` in `0..times-1` and for any `i` in "
        "`0..size-1`.",
        needs=_needs("mirror", _NAME),
        basis="reading",
        reading="Taken literally the formula says nothing (addr[o1*i] and addr[o2*i] are the "
        "same byte for i = 0 and unrelated bytes otherwise). What a mirror for a ring buffer "
        "must give, and so what the authors evidently meant, is that byte i of every copy "
        "is the same byte: addr[o1*size + i] == addr[o2*size + i] for every o1, o2 in "
        "0..times-1 and i in 0..size-1, after any write.",
        checked="Random sizes, times and writes anywhere in the span, also across a copy's "
        "end; every copy is compared with a model after each write.",
    ),
    # ---------------------------------------------------------------- alignment helpers
    Clause(
        id="aligned_size.right-default",
        section=S_ALIGNED_SIZE,
        function="mmap.aligned_size",
        kind="returns",
        quote="Get the next larger (dir = 'right', default)",
        needs=_needs("alignment"),
        checked="For sizes that are not page multiples, over the whole 64-bit range (up to "
        "the last size whose next multiple fits in 64 bits), with dir omitted and 'right': "
        "the next page multiple, with the page size the OS reports.",
    ),
    Clause(
        id="aligned_size.right.aligned-unchanged",
        section=S_ALIGNED_SIZE,
        function="mmap.aligned_size",
        kind="returns",
        quote="Get the next larger (dir = 'right', default)",
        needs=_needs("alignment"),
        basis="reading",
        reading="'Next larger' of a size that already is a page multiple (0 included) is "
        "taken to be the size itself, not the page above: the helper is for aligning sizes "
        "and offsets ('It can be used to align offsets and sizes'), and an aligned size "
        "needs no change.",
    ),
    Clause(
        id="aligned_size.left",
        section=S_ALIGNED_SIZE,
        function="mmap.aligned_size",
        kind="returns",
        quote="or smaller (dir = 'left') size that is aligned to a page boundary.",
        needs=_needs("alignment"),
        checked="For sizes that are not page multiples, over the whole 64-bit range: the "
        "page multiple below.",
    ),
    Clause(
        id="aligned_size.left.aligned-unchanged",
        section=S_ALIGNED_SIZE,
        function="mmap.aligned_size",
        kind="returns",
        quote="or smaller (dir = 'left') size that is aligned to a page boundary.",
        needs=_needs("alignment"),
        basis="reading",
        reading="'Smaller' of a page multiple is taken to be itself, for the reason given "
        "for 'right': aligning an aligned size changes nothing.",
    ),
    Clause(
        id="aligned_addr.right-default",
        section=S_ALIGNED_ADDR,
        function="mmap.aligned_addr",
        kind="returns",
        quote="Get the next (dir = 'right', default)",
        needs=_needs("alignment"),
        checked="For addresses that are not page-aligned, over the whole 64-bit range (up "
        "to the last whose next aligned address fits in 64 bits), with dir omitted and "
        "'right': the next page-aligned address.",
    ),
    Clause(
        id="aligned_addr.right.aligned-unchanged",
        section=S_ALIGNED_ADDR,
        function="mmap.aligned_addr",
        kind="returns",
        quote="Get the next (dir = 'right', default)",
        needs=_needs("alignment"),
        basis="reading",
        reading="The 'next' aligned address of an aligned address is taken to be itself: the "
        "helper is for aligning pointers ('It can be used to align pointers'), and an "
        "aligned pointer needs no change.",
    ),
    Clause(
        id="aligned_addr.left",
        section=S_ALIGNED_ADDR,
        function="mmap.aligned_addr",
        kind="returns",
        quote="or previous (dir = 'left') address that is aligned to a page boundary.",
        needs=_needs("alignment"),
        checked="For addresses that are not page-aligned, over the whole 64-bit range: the "
        "page-aligned address below.",
    ),
    Clause(
        id="aligned_addr.left.aligned-unchanged",
        section=S_ALIGNED_ADDR,
        function="mmap.aligned_addr",
        kind="returns",
        quote="or previous (dir = 'left') address that is aligned to a page boundary.",
        needs=_needs("alignment"),
        basis="reading",
        reading="The 'previous' aligned address of an aligned address is taken to be itself, "
        "for the reason given for 'right'.",
    ),
    Clause(
        id="pagesize.returns-page-size",
        section=S_PAGESIZE,
        function="mmap.pagesize",
        kind="returns",
        quote="Get the current page size.",
        needs=_needs("pagesize"),
        checked="Equal to the page size the OS reports (the allocation granularity, as the "
        "API table calls it: on Windows larger than the page).",
    ),
    Clause(
        id="pagesize.allocation-multiples",
        section=S_PAGESIZE,
        function="mmap.pagesize",
        kind="invariant",
        quote="Memory will always be allocated in multiples of this size",
        needs=_needs("pagesize", "anonymous", "addr"),
        checked="A map's address is a multiple of pagesize(), and the OS's mapping "
        "(/proc/PID/maps) spans whole pages of it even for a 1-byte map. On Windows "
        "pagesize() is the 64 KiB allocation granularity while VirtualQueryEx shows a view "
        "in 4 KiB pages: there the map starts on a granule, the OS maps its size rounded "
        "up to 4 KiB pages, and nothing else is mapped in the rest of the granule (no "
        "other allocation can start inside one, so the address space is taken in "
        "multiples of pagesize()).",
    ),
    Clause(
        id="pagesize.offsets-aligned",
        section=S_PAGESIZE,
        function="mmap.pagesize",
        kind="raises",
        quote="and file offsets must be aligned to this size too.",
        needs=_needs("pagesize", _NAME),
        checked="A file offset that is not a multiple of pagesize() raises an error.",
    ),
    Clause(
        id="aligned_size.negative-raises",
        section=S_ALIGNED_SIZE,
        function="mmap.aligned_size",
        kind="raises",
        quote="that is aligned to a page boundary. It can be used to align offsets and sizes.",
        needs=_needs("alignment"),
        basis="reading",
        reading="The document does not say what a negative size gives. Read as: an error is "
        "raised, with either dir. A size is never negative, so a negative one is a "
        "caller's bug, and every answer hides it: rounding -1 'right' gives 0, 'left' gives "
        "-pagesize, and a C size_t wraps it to 2**64 - pagesize, a size that then maps or "
        "allocates something absurd far from the bug.",
        checked="-1, -pagesize and -(2**53 - 1), dir omitted, 'right' and 'left'.",
    ),
    Clause(
        id="aligned_addr.negative-raises",
        section=S_ALIGNED_ADDR,
        function="mmap.aligned_addr",
        kind="raises",
        quote="is aligned to a page boundary. It can be used to align pointers.",
        needs=_needs("alignment"),
        basis="reading",
        reading="The document does not say what a negative address gives. Read as: an error "
        "is raised, with either dir. An address is never negative (a pointer converts to "
        "an unsigned number), so a negative one is a caller's bug, and an answer (wrapped "
        "to the top of the address space, or rounded towards 0) would hide it.",
        checked="-1, -pagesize and -(2**53 - 1), dir omitted, 'right' and 'left'.",
    ),
    # ---------------------------------------------------------------- mmap.filesize
    Clause(
        id="filesize.get",
        section=S_FILESIZE_GET,
        function="mmap.filesize",
        kind="returns",
        quote="Get file size.",
        needs=_needs("filesize", _NAME),
    ),
    Clause(
        id="filesize.get.not-found",
        section=S_FILESIZE_GET,
        function="mmap.filesize",
        kind="fails",
        errcode="not_found",
        quote="Can fail with `'not_found'` or an OS specific error code.",
        needs=_needs("filesize", _NAME),
        checked="A missing file fails with 'not_found' (map says 'no_file' for the same "
        "condition; each function's own code is expected) and is not created.",
    ),
    Clause(
        id="filesize.get.os-error",
        section=S_FILESIZE_GET,
        function="mmap.filesize",
        kind="fails",
        errcode=OS_ERRCODE,
        quote="Can fail with `'not_found'` or an OS specific error code.",
        needs=_needs("filesize", _NAME),
        checked="Provoked with a symlink loop (ELOOP; skipped where the OS itself calls it a "
        "missing file, as Wine does) and with a directory (EISDIR; on Windows access "
        "denied): an int errcode.",
    ),
    Clause(
        id="filesize.set.resizes",
        section=S_FILESIZE_SET,
        function="mmap.filesize",
        kind="returns",
        quote="Enlarge or truncate a file to a specific size.",
        needs=_needs("filesize", _NAME),
        checked="Returns the new size, which the file then has on disk.",
    ),
    Clause(
        id="filesize.set.creates",
        section=S_FILESIZE_SET,
        function="mmap.filesize",
        kind="returns",
        quote="If the file does not exist it is created.",
        needs=_needs("filesize", _NAME),
    ),
    Clause(
        id="filesize.set.disk-full",
        section=S_FILESIZE_SET,
        function="mmap.filesize",
        kind="fails",
        errcode="disk_full",
        quote="Can fail with `'disk_full'` or an OS specific error code.",
        needs=_needs("filesize", _NAME),
        basis="reading",
        reading="'Can fail' is taken to allow both outcomes on a full filesystem: setting a "
        "size may succeed (a sparse file needs no blocks) or fail, and when it fails the "
        "code is 'disk_full', never the raw errno: the document names that condition, so a "
        "caller can test for it on every OS.",
        checked="Provoked on a 1 MiB tmpfs the test mounts when it may (root).",
    ),
    Clause(
        id="filesize.set.os-error",
        section=S_FILESIZE_SET,
        function="mmap.filesize",
        kind="fails",
        errcode=OS_ERRCODE,
        quote="Can fail with `'disk_full'` or an OS specific error code.",
        needs=_needs("filesize", _NAME),
        checked="Provoked with a directory as the file (EISDIR): an int errcode.",
    ),
    Clause(
        id="filesize.set.enlarge-keeps-data",
        section=S_FILESIZE_SET,
        function="mmap.filesize",
        kind="returns",
        quote="When enlarging, the appended data is undefined.",
        needs=_needs("filesize", _NAME),
        checked="The bytes already in the file stay; the appended ones, undefined, are not "
        "checked.",
    ),
    Clause(
        id="filesize.set.truncate-preserves",
        section=S_FILESIZE_SET,
        function="mmap.filesize",
        kind="returns",
        quote="When truncating, the data up to the specified size is preserved.",
        needs=_needs("filesize", _NAME),
    ),
    Clause(
        id="filesize.set.unmap-resize-remap",
        section=S_FILESIZE_SET,
        function="mmap.filesize",
        kind="returns",
        quote="Unmap it first, set the size, then map it back.",
        needs=_needs("filesize", _NAME, "access:w"),
        checked="The documented procedure works: what was written through the map before is "
        "in the file of the new size and in the map made after.",
    ),
    # ---------------------------------------------------------------- safety (not the doc's words)
    Clause(
        id="safety.tagname.owner-only",
        section=S_SAFETY,
        function="mmap.map",
        kind="invariant",
        quote="Shared memory created for a tagname is readable and writable by its owner "
        "only (mode 0600), never by the other users of the machine.",
        needs=_needs("tagname", "access:w"),
        basis="safety",
        checked="The object made by map(tagname, 'w') is stat'ed: on Linux as "
        "/dev/shm/NAME, on macOS through shm_open and fstat; skipped on other systems.",
    ),
    Clause(
        id="safety.descriptors.no-leak-after-free",
        section=S_SAFETY,
        function="map:free",
        kind="invariant",
        quote="Once a map or mirror is freed, the process holds exactly the file "
        "descriptors it held before the map was made.",
        basis="safety",
        checked="/proc/PID/fd of the implementation's process, compared before and after "
        "map + free of every kind: a file by name, by descriptor, by FILE*, a tagname, the "
        "pagefile, a mirror (each once first, so that one-time setup is not counted). On "
        "Windows the process's handles, from the system's handle table.",
    ),
    Clause(
        id="safety.descriptors.no-leak-after-failure",
        section=S_SAFETY,
        function="mmap.map",
        kind="invariant",
        quote="A map or mirror that fails leaves the process holding exactly the file "
        "descriptors it held before the call.",
        basis="safety",
        checked="/proc/PID/fd compared around each documented failure: no_file, "
        "file_too_short (an empty file, read-only and 'w'; a short file by name and by "
        "descriptor; a short tagname), out_of_mem (map and mirror at an address in use). "
        "On Windows the process's handles, from the system's handle table.",
    ),
    Clause(
        id="safety.mappings.no-leak-after-free",
        section=S_SAFETY,
        function="map:free",
        kind="invariant",
        quote="Once a map or mirror is freed, nothing of it stays mapped in the process: "
        "no region of its file or shared memory, no memory at its address.",
        basis="safety",
        checked="/proc/PID/maps before and after map + free of every kind. Counted: regions "
        "backed by the test's own files and shared-memory names, and at the map's own "
        "address a reservation (---p) or anonymous memory still holding the bytes the test "
        "wrote there (read through /proc/PID/mem), so that memory the runtime's allocator "
        "maps on its own is never mistaken for a leak. On Windows VirtualQueryEx and "
        "ReadProcessMemory; a tagname's section has no file there, so it is looked for by "
        "the bytes at its address.",
    ),
    Clause(
        id="safety.mappings.no-leak-after-failure",
        section=S_SAFETY,
        function="mmap.map",
        kind="invariant",
        quote="A map or mirror that fails leaves nothing mapped: no region of its file "
        "or shared memory, and the mapping in the way of a requested address untouched.",
        basis="safety",
        checked="/proc/PID/maps compared around the failures of "
        "safety.descriptors.no-leak-after-failure, counting regions backed by the test's "
        "files and shared-memory names and the regions at the address in use. On Windows "
        "VirtualQueryEx, where a tagname's section has no file name: there the short "
        "tagname's case has nothing to look for and skips, saying so.",
    ),
    Clause(
        id="safety.size.never-shrinks",
        section=S_SAFETY,
        function="mmap.map",
        kind="invariant",
        quote="Mapping an existing file or tagname with a size smaller than it never "
        "shrinks it: its data stays, and maps already made stay readable to their end.",
        needs=_needs("access:w"),
        basis="safety",
        checked="In an isolated implementation process: map a file (or tagname) of three "
        "pages with 'w', map it again with 'w' and one page, then the size on disk (Linux: "
        "/dev/shm/NAME) and every byte of the first map are read; a SIGBUS kills only that "
        "process and fails the clause.",
    ),
    Clause(
        id="safety.mirror.never-replaces-foreign",
        section=S_SAFETY,
        function="mmap.mirror",
        kind="invariant",
        quote="A mirror never replaces memory it does not own: each copy is mapped over "
        "address space the mirror holds at that moment, never into a hole it has just "
        "unmapped, where another thread's new mapping may have landed.",
        needs=_needs("mirror", _NAME),
        basis="safety",
        checked="strace follows the mmap and munmap calls of an isolated implementation "
        "process while it makes and frees a mirror: no mmap with MAP_FIXED (and without "
        "MAP_FIXED_NOREPLACE) may land on a range the process unmapped earlier and has not "
        "mapped again. Skipped where strace or ptrace is not available.",
    ),
    Clause(
        id="safety.fifo.no-hang",
        section=S_SAFETY,
        function="mmap.map",
        kind="invariant",
        quote="Mapping something that is not a file, such as a FIFO put where a file or "
        "a tagname's shared memory is expected, fails at once: it never waits for a writer.",
        basis="safety",
        checked="A FIFO is planted in /dev/shm under a fresh tagname, and another in a temp "
        "dir; every call the binding declares is handed one: map of the tagname and of the "
        "FIFO's name with each access mode, filesize(f), filesize(f, size), mirror(f). Each "
        "runs in an isolated implementation process; when it has not answered within 0.1 s, "
        "/proc/PID/wchan, /proc/PID/stack and /proc/PID/syscall say what the process is "
        "blocked on, and one asleep in the kernel's FIFO wait (wait_for_partner, pipe_read) "
        "twice in a row hangs now: it is killed, and the next call goes to a fresh process. "
        "Where the OS cannot say, a call has 15 s. Every call that hung, mapped the FIFO or "
        "returned is named; the FIFOs stay FIFOs. Linux only (/dev/shm is mode 1777 there: "
        "any user can plant one).",
    ),
    Clause(
        id="safety.tagname.foreign-refused",
        section=S_SAFETY,
        function="mmap.map",
        kind="invariant",
        quote="An existing tagname's shared memory that another user owns, or that other "
        "users may open, is not adopted: the map fails, the object is left as it was.",
        needs=_needs("tagname"),
        basis="safety",
        checked="As uid 65534, /dev/shm/NAME is created mode 0666 holding a marker; the "
        "binding maps NAME ('' and 'w', with a size) and must fail; the object keeps its "
        "owner, mode and bytes. Needs root to plant as another user; Linux only.",
    ),
    Clause(
        id="safety.descriptors.close-on-exec",
        section=S_SAFETY,
        function="mmap.map",
        kind="invariant",
        quote="Every descriptor the implementation opens is closed on exec: no program "
        "that the process starts inherits a file, shared memory or mirror it maps.",
        basis="safety",
        checked="While a map or mirror is live (a file by name, read-only and 'w', a "
        "tagname, the pagefile, a mirror), each descriptor the implementation's process "
        "opened for it must have FD_CLOEXEC, as /proc/PID/fdinfo/FD shows it (O_CLOEXEC "
        "among its flags). Descriptors the adapter opened to hand a file over (by fd, by "
        "FILE*) are the caller's, not counted.",
    ),
    Clause(
        id="safety.files.untouched-after-failure",
        section=S_SAFETY,
        function="mmap.map",
        kind="invariant",
        quote="A map or mirror that fails leaves every file it was given as it was: its "
        "size, its bytes and its mode. It never grows a file and then fails, nor shrinks "
        "one back, which would lose what another process wrote in between.",
        needs=_needs(_NAME, "access:w", "anonymous", "addr", "addr_request"),
        basis="safety",
        checked="A one-page file is mapped 'w' with 64 pages at an address in use, and "
        "mirrored with 64 pages at an address in use, and at an address whose first copy's "
        "range is free but whose second copy's is not: each must fail and leave the file's "
        "size, bytes and mode as they were. Then the same failing map is made again and "
        "again (at least 20 times, for 0.3 s) while another process appends numbered "
        "records to the file: every record must be in the file afterwards, in order, with "
        "nothing between them.",
    ),
    Clause(
        id="safety.process.survives",
        section=S_SAFETY,
        function="mmap.map",
        kind="invariant",
        quote="The implementation's process survives every documented call, except where the "
        "document says it crashes (a write to memory mapped without write access), and no "
        "call leaves it to die later in another.",
        basis="safety",
        checked="A map of a file by name, a write, a flush and a free leave the same process "
        "answering. Through the pipe, every crash is triaged: the running test's "
        "calls are replayed alone in a fresh process (a crash there is the test's clause's); "
        "else every call since the process started is replayed, and a crash is shrunk by "
        "delta debugging (30 s at most) to a minimal sequence, reported here with its lines "
        "and blaming no other clause; a crash that does not replay is reported here as "
        "flaky.",
    ),
    Clause(
        id="safety.memory.flat",
        section=S_SAFETY,
        function="map:free",
        kind="invariant",
        quote="Mapping and freeing, again and again, does not make the process grow: "
        "whatever a map costs in memory is given back when it is freed.",
        basis="safety",
        checked="For each kind of map the binding declares (the pagefile, a file by name, by "
        "descriptor, a tagname, a mirror): 1,000 map + free cycles first, then 10,000 in "
        "two halves, and VmRSS and VmData of the implementation's process "
        "(/proc/PID/status) read around each half. A leak grows both halves; the "
        "runtime's one-off growth (a new allocator arena) only one. Fails when VmRSS or "
        "VmData grew by more than 160 KiB in each half: 5,000 leaked 48-byte structs are "
        "at least 234 KiB (312 KiB with malloc's headers), while the reference grew by 0 KiB "
        "in process and through the pipe (20 runs of each kind), and the LuaJIT harness by at "
        "most 128 KiB in one batch of 10,000 (its heap settling).",
    ),
)

BY_ID: dict[str, Clause] = {c.id: c for c in CLAUSES}


def counts_by_section() -> dict[str, int]:
    """The number of clauses per documentation section, in the document's order."""
    counts = Counter(c.section for c in CLAUSES)
    return {s: counts[s] for s in SECTIONS if counts[s]}


def fold(text: str) -> str:
    """Whitespace folded to single spaces: how quotes are compared with the document."""
    return " ".join(text.split())


def document() -> str:
    """The documentation the clauses quote: the copy shipped with this package."""
    return resources.files(__package__).joinpath("mmap.md").read_text(encoding="utf-8")
