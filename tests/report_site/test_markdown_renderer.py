"""The document renderer (``mmapspec.viewer.mdhtml``): what the shipped document uses, safely."""

from __future__ import annotations

from html.parser import HTMLParser

from mmapspec.spec import catalogue
from mmapspec.viewer import mdhtml


def no_buttons(keys: list[str]) -> str:
    return ""


def buttons(keys: list[str]) -> str:
    return "".join(f"[{k}]" for k in keys)


def render(text: str) -> str:
    return mdhtml.render(mdhtml.parse(text), no_buttons, {})


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def test_markup_in_the_document_is_escaped() -> None:
    html = render(
        '# <img src=x onerror="alert(1)">\n\n'
        "A <script>alert(1)</script> & `<b>` [x](javascript:alert(1))\n\n"
        "* <iframe src='http://example.com'>\n"
    )
    assert {t for t, _ in tags(html)} == {"h2", "p", "code", "ul", "li"}
    assert "&lt;script&gt;" in html and "&amp;" in html and "&lt;b&gt;" in html


def test_links_only_to_the_web_or_the_page() -> None:
    html = render("[a](https://luapower.com/mmap) [b][lfrb] [c][nowhere]\n\n[lfrb]: #ring\n")
    assert [a for t, a in tags(html) if t == "a"] == [
        {"href": "https://luapower.com/mmap", "rel": "noreferrer"},
        {"href": "#ring", "rel": "noreferrer"},
    ]
    assert ">c<" not in html and " c" in html  # an undefined reference stays text


def test_headings_lists_and_code_spans() -> None:
    html = render(
        "---\ntagline: portable memory mapping\n---\n\n"
        "## `f(x) -> y` <br> `g()`\n\n"
        "* `a`: first\ncontinued\n\t* nested\n\t\t* deeper\n\t* nested again\n* `b`\n\n"
        "__NOTE:__ done.\n"
    )
    assert '<p class="tagline">portable memory mapping</p>' in html
    assert "<h3><code>f(x) -&gt; y</code> <br> <code>g()</code></h3>" in html
    assert (
        "<ul><li><code>a</code>: first continued<ul><li>nested<ul><li>deeper</li></ul></li>"
        "<li>nested again</li></ul></li><li><code>b</code></li></ul>"
    ) in html
    assert "<strong>NOTE:</strong> done." in html


def test_multiline_table() -> None:
    doc = mdhtml.parse(
        "----------- --------\n"
        "`f(a)` \\    does f\n"
        "`f(a, b)`\n"
        "\n"
        "`g()`       does g\n"
        "----------- --------\n"
    )
    (table,) = doc.blocks
    assert isinstance(table, mdhtml.Table)
    assert [[c.source for c in row] for row in table.rows] == [
        ["`f(a)` \\ `f(a, b)`", "does f"],
        ["`g()`", "does g"],
    ]
    assert "<code>f(a)</code> <br> <code>f(a, b)</code>" in mdhtml.render(doc, no_buttons, {})


def test_a_mark_wraps_its_range_and_keeps_code_spans_whole() -> None:
    doc = mdhtml.parse("Get the `size` of it. Then stop.\n")
    (inline,) = (i for _, i in doc.inlines())
    start = inline.find("ize` of it.")  # starts inside the code span
    inline.mark(start, start + len("ize` of it."), "one")
    inline.mark(0, len("Get the `size`"), "two")
    html = mdhtml.render(doc, buttons, {})
    assert html == (
        '<p><span class="q">Get the </span><span class="q"><code>size</code></span>[two]'
        '<span class="q"> of it.</span>[one] Then stop.</p>'
    )


def test_every_quote_of_the_catalogue_is_one_block_of_the_document() -> None:
    # The page marks quotes block by block: a quote across two blocks would go unmarked.
    sources = [i.source for _, i in mdhtml.parse(catalogue.document()).inlines()]
    for clause in catalogue.CLAUSES:
        if clause.basis != "safety":
            assert any(catalogue.fold(clause.quote) in s for s in sources), clause.id
