"""A small Markdown-to-HTML renderer for the specification document, with marks.

It knows what ``spec/mmap.md`` uses, in the Pandoc dialect the document is written
in: a YAML front matter (its ``tagline`` is shown), ATX headings, paragraphs,
bulleted lists nested by indentation (tabs or spaces) with lazy continuation
lines, Pandoc's multiline tables (dashed lines around rows separated by blank
lines, ``\\`` at the end of a line for a line break), code spans, ``__bold__`` /
``**bold**``, links (``[text](url)``, ``[text][ref]`` with ``[ref]: url``), and
the tags ``<br>`` and ``<warn>``. Every other character is HTML-escaped: a report
or a document cannot inject markup into the page.

Marks are ranges of a block's source to highlight: :func:`parse` gives every
block's inline source whitespace-folded (as ``catalogue.fold`` folds the document
for the clause linter), so a clause's folded quote is a plain substring of one
block's source; :meth:`Inline.mark` records where, and :func:`render` wraps the
marked text and puts the marks' buttons after it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from html import escape
from itertools import pairwise

# What the renderer emits after a marked range: the HTML of the buttons of the
# marks ending there, given their keys in the order they were marked.
MarkButtons = Callable[[list[str]], str]


def fold(text: str) -> str:
    return " ".join(text.split())


@dataclasses.dataclass
class Inline:
    """The folded source of one block's text, and the marked ranges in it."""

    source: str
    marks: list[tuple[int, int, str]] = dataclasses.field(default_factory=list)

    def find(self, quote: str) -> int:
        return self.source.find(quote)

    def mark(self, start: int, end: int, key: str) -> None:
        self.marks.append((start, end, key))


@dataclasses.dataclass
class Heading:
    level: int
    text: Inline


@dataclasses.dataclass
class Paragraph:
    text: Inline
    css: str | None = None


@dataclasses.dataclass
class ListItem:
    text: Inline
    children: list[BulletList] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class BulletList:
    items: list[ListItem] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Table:
    rows: list[list[Inline]]


Block = Heading | Paragraph | BulletList | Table


@dataclasses.dataclass
class Document:
    blocks: list[Block]
    links: dict[str, str]

    def inlines(self) -> Iterator[tuple[int, Inline]]:
        """Every block's text with the index of its block, in reading order."""
        for i, block in enumerate(self.blocks):
            for inline in _inlines(block):
                yield i, inline


def _inlines(block: Block) -> Iterator[Inline]:
    if isinstance(block, (Heading, Paragraph)):
        yield block.text
    elif isinstance(block, BulletList):
        for item in block.items:
            yield item.text
            for child in item.children:
                yield from _inlines(child)
    else:
        for row in block.rows:
            yield from row


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^([ \t]*)[*+-][ \t]+(.*)$")
_DASHES = re.compile(r"^-{3,}( +-{3,})*\s*$")
_LINK_DEF = re.compile(r"^\s{0,3}\[([^\]]+)\]:\s*(\S+)\s*$")


def _indent(prefix: str) -> int:
    return len(prefix.expandtabs(4))


def parse(text: str) -> Document:
    lines = text.splitlines()
    blocks: list[Block] = []
    links: dict[str, str] = {}
    i = 0
    if lines and lines[0].strip() == "---":
        end = next((j for j in range(1, len(lines)) if lines[j].strip() in ("---", "...")), None)
        if end is not None:
            for line in lines[1:end]:
                key, _, value = line.partition(":")
                if key.strip() == "tagline" and value.strip():
                    blocks.append(Paragraph(Inline(fold(value)), css="tagline"))
            i = end + 1
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif m := _LINK_DEF.match(line):
            links[m.group(1).lower()] = m.group(2)
            i += 1
        elif m := _HEADING.match(line):
            blocks.append(Heading(len(m.group(1)), Inline(fold(m.group(2)))))
            i += 1
        elif _DASHES.match(line):
            table, i = _table(lines, i)
            if table.rows:
                blocks.append(table)
        elif _ITEM.match(line):
            items, i = _list_items(lines, i)
            blocks.append(_nest(items))
        else:
            start = i
            while i < len(lines) and lines[i].strip() and not _starts_block(lines[i]):
                i += 1
            blocks.append(Paragraph(Inline(fold(" ".join(lines[start:i])))))
    return Document(blocks, links)


def _starts_block(line: str) -> bool:
    return bool(_HEADING.match(line) or _ITEM.match(line) or _DASHES.match(line))


def _table(lines: list[str], i: int) -> tuple[Table, int]:
    """A Pandoc multiline table from its opening dashed line: one column per run of
    dashes, rows separated by blank lines, up to the closing dashed line."""
    starts = [m.start() for m in re.finditer(r"-+", lines[i])]
    i += 1
    rows: list[list[Inline]] = []
    cells: list[list[str]] = [[] for _ in starts]
    while i < len(lines) and not _DASHES.match(lines[i]):
        line = lines[i]
        i += 1
        if not line.strip():
            if any(cells):
                rows.append([Inline(fold(" ".join(c))) for c in cells])
                cells = [[] for _ in starts]
            continue
        for k, (a, b) in enumerate(pairwise([0, *starts[1:], None])):
            part = line[a:b].strip()
            if part:
                cells[k].append(part)
    if any(cells):
        rows.append([Inline(fold(" ".join(c))) for c in cells])
    return Table(rows), i + 1


def _list_items(lines: list[str], i: int) -> tuple[list[tuple[int, str]], int]:
    """Consecutive list items as (indent, folded text); a non-item line continues the
    item before it; a blank line ends the list unless another item follows."""
    items: list[tuple[int, list[str]]] = []
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            if i + 1 < len(lines) and _ITEM.match(lines[i + 1]):
                i += 1
                continue
            break
        m = _ITEM.match(line)
        if m:
            items.append((_indent(m.group(1)), [m.group(2)]))
        elif _HEADING.match(line) or _DASHES.match(line):
            break
        else:
            items[-1][1].append(line)
        i += 1
    return [(indent, fold(" ".join(text))) for indent, text in items], i


def _nest(items: list[tuple[int, str]]) -> BulletList:
    root = BulletList()
    stack: list[tuple[int, BulletList]] = [(items[0][0], root)]
    for indent, text in items:
        while len(stack) > 1 and indent < stack[-1][0]:
            stack.pop()
        level, current = stack[-1]
        if indent > level and current.items:
            child = BulletList()
            current.items[-1].children.append(child)
            stack.append((indent, child))
            current = child
        current.items.append(ListItem(Inline(text)))
    return root


# ---------------------------------------------------------------- inline rendering

_TOKENS = re.compile(
    r"(?P<code>(?P<ticks>`+)(?P<codetext>.+?)(?P=ticks))"
    r"|(?P<br><br\s*/?>)"
    r"|(?P<warn><warn>(?P<warntext>.*?)</warn>)"
    r"|(?P<bold>(?P<stars>\*\*|__)(?P<boldtext>.+?)(?P=stars))"
    r"|(?P<reflink>\[(?P<reftext>[^\]]+)\]\[(?P<ref>[^\]]*)\])"
    r"|(?P<link>\[(?P<linktext>[^\]]+)\]\((?P<url>[^)\s]+)\))"
    r"|(?P<hardbreak>\\(?= |$))"
)
_SAFE_URL = re.compile(r"^(https?://|#)", re.IGNORECASE)


def _link(text: str, url: str | None) -> str:
    if url is None or not _SAFE_URL.match(url):
        return escape(text)
    return f'<a href="{escape(url)}" rel="noreferrer">{escape(text)}</a>'


def _tokens(source: str, links: dict[str, str]) -> list[tuple[int, int, str | None]]:
    """(start, end, html) of each markup token; html None for a run of plain text,
    which, unlike a token, may be cut anywhere."""
    out: list[tuple[int, int, str | None]] = []
    pos = 0
    for m in _TOKENS.finditer(source):
        if m.start() > pos:
            out.append((pos, m.start(), None))
        if m.group("code"):
            html = f"<code>{escape(m.group('codetext').strip())}</code>"
        elif m.group("br") or m.group("hardbreak"):
            html = "<br>"
        elif m.group("warn"):
            html = f'<strong class="warn">{escape(m.group("warntext"))}</strong>'
        elif m.group("bold"):
            html = f"<strong>{escape(m.group('boldtext'))}</strong>"
        elif m.group("reflink"):
            ref = (m.group("ref") or m.group("reftext")).lower()
            html = _link(m.group("reftext"), links.get(ref))
        else:
            html = _link(m.group("linktext"), m.group("url"))
        out.append((m.start(), m.end(), html))
        pos = m.end()
    if pos < len(source):
        out.append((pos, len(source), None))
    return out


def render_inline(inline: Inline, links: dict[str, str], buttons: MarkButtons) -> str:
    tokens = _tokens(inline.source, links)

    def snap(pos: int, left: bool) -> int:
        """A cut inside a token moves to the token's edge (a code span stays whole)."""
        for start, end, html in tokens:
            if html is not None and start < pos < end:
                return start if left else end
        return pos

    marks = [(snap(s, True), snap(e, False), key) for s, e, key in inline.marks]
    cuts = sorted({0, len(inline.source), *(s for s, _, _ in marks), *(e for _, e, _ in marks)})
    out: list[str] = []
    for a, b in pairwise(cuts):
        piece = "".join(
            escape(inline.source[max(a, s) : min(b, e)]) if html is None else html
            for s, e, html in tokens
            if s < b and e > a and (html is None or s >= a)
        )
        covering = [key for s, e, key in marks if s <= a and e >= b]
        out.append(f'<span class="q">{piece}</span>' if covering else piece)
        ending = [key for _, e, key in marks if e == b]
        if ending:
            out.append(buttons(ending))
    return "".join(out)


def render(doc: Document, buttons: MarkButtons, heading_ids: dict[int, str]) -> str:
    """The document as HTML; ``heading_ids`` gives the ``id`` of headings by block index."""
    out: list[str] = []
    for i, block in enumerate(doc.blocks):
        out.append(_block(block, doc.links, buttons, heading_ids.get(i)))
    return "\n".join(out)


def _block(block: Block, links: dict[str, str], buttons: MarkButtons, anchor: str | None) -> str:
    if isinstance(block, Heading):
        # The page's own headings are h1/h2: the document's sit one level below.
        level = min(block.level + 1, 6)
        ident = f' id="{escape(anchor)}"' if anchor else ""
        return f"<h{level}{ident}>{render_inline(block.text, links, buttons)}</h{level}>"
    if isinstance(block, Paragraph):
        css = f' class="{escape(block.css)}"' if block.css else ""
        return f"<p{css}>{render_inline(block.text, links, buttons)}</p>"
    if isinstance(block, BulletList):
        items = "".join(
            "<li>"
            + render_inline(item.text, links, buttons)
            + "".join(_block(child, links, buttons, None) for child in item.children)
            + "</li>"
            for item in block.items
        )
        return f"<ul>{items}</ul>"
    rows = "".join(
        "<tr>" + "".join(f"<td>{render_inline(c, links, buttons)}</td>" for c in row) + "</tr>"
        for row in block.rows
    )
    return f'<div class="scroll"><table class="api">{rows}</table></div>'
