"""The one place that makes a string from a harness or a report safe for where it goes.

A harness (or a crafted report) chooses the adapter's name, every message and
reason, clause IDs in a report: strings that may hold lone surrogates (valid JSON,
not encodable as UTF-8), terminal escapes, carriage returns that overwrite a line,
bidi controls that reorder what is shown, Markdown or HTML that becomes a heading, an
image or a link, characters XML 1.0 forbids, or megabytes. Every renderer passes such
strings through one function of this module, per sink:

=============  =================================================================
sink           what is done
=============  =================================================================
everywhere     lone surrogates become U+FFFD; a length cap (:data:`NAME_LIMIT`,
               :data:`TEXT_LIMIT`) with ``…`` at the cut
terminal       C0/C1 controls, DEL and bidi controls shown as ``\\xNN``/``\\uNNNN``
JSON           :func:`clean` (the encoder escapes the controls itself)
JUnit XML      controls (and what XML 1.0 forbids) shown; ElementTree escapes the rest
Markdown       one line inside a code span (no heading, link, image, HTML or
               emphasis can start inside one), its fence longer than any run of
               backticks inside; ``|`` escaped for tables; controls shown
TOML           a basic string: controls shown, ``\\`` and ``"`` escaped, tab and
               newline as TOML escapes
HTML           ``html.escape`` and controls shown; bidi controls shown, and the
               page isolates each such string in ``<bdi>``
=============  =================================================================
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

NAME_LIMIT = 200
"""Characters kept of a name (adapter, version, clause ID, test ID) from a harness or report."""
TEXT_LIMIT = 4000
"""Characters kept of a message, reason or example from a harness or a report."""

_SURROGATE = re.compile("[\ud800-\udfff]")
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# C0 controls (but tab and newline, kept where lines are kept), DEL, C1, bidi.
_CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
_CONTROL_ALL = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _shown(match: re.Match[str]) -> str:
    c = ord(match.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def clean(text: object, limit: int = TEXT_LIMIT) -> str:
    """``text`` as a string with lone surrogates replaced and at most ``limit`` characters."""
    s = text if isinstance(text, str) else str(text)
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return _SURROGATE.sub("\ufffd", s)


def visible(text: object, limit: int = TEXT_LIMIT, lines: bool = False) -> str:
    """:func:`clean`, and every control and bidi character shown as an escape; with
    ``lines``, newlines and tabs are kept."""
    return (_CONTROL if lines else _CONTROL_ALL).sub(_shown, clean(text, limit))


def for_terminal(text: object, limit: int = TEXT_LIMIT) -> str:
    """One line for the terminal: nothing in it can move the cursor, colour, erase,
    retitle the window or reorder the text."""
    return visible(text, limit)


def for_json(value: Any, limit: int = TEXT_LIMIT) -> Any:
    """A JSON value with every string (keys too) cleaned: always encodable."""
    if isinstance(value, str):
        return clean(value, limit)
    if isinstance(value, Mapping):
        return {clean(k, NAME_LIMIT): for_json(v, limit) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [for_json(v, limit) for v in value]
    return value


def for_xml(text: object, limit: int = TEXT_LIMIT) -> str:
    """Text or an attribute value XML 1.0 can hold (ElementTree escapes ``<&"``), with
    the controls it would hold shown too."""
    return _XML_FORBIDDEN.sub(_shown, visible(text, limit, lines=True))


def for_markdown(text: object, limit: int = 160, table: bool = True) -> str:
    """One line of untrusted text as a Markdown code span: shown literally on GitHub."""
    s = visible(" ".join(clean(text, limit).split()), limit)
    if not s:
        return " "
    if table:
        s = s.replace("|", "\\|")
    longest = max((len(run) for run in re.findall("`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or longest else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def markdown_fence(text: object, limit: int = TEXT_LIMIT) -> tuple[str, str]:
    """A fenced block's fence and body for untrusted lines: the fence is longer than
    any run of backticks in the body, so the body cannot close it."""
    body = visible(text, limit, lines=True)
    longest = max((len(run) for run in re.findall("`+", body)), default=0)
    return "`" * max(3, longest + 1), body


def for_toml(text: object, limit: int = TEXT_LIMIT) -> str:
    """A TOML basic string, quotes included, that every TOML reader reads back."""
    s = visible(text, limit, lines=True).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + re.sub("[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", s) + '"'


def for_html(text: object, limit: int = TEXT_LIMIT, lines: bool = True) -> str:
    """Text for an HTML element or attribute: escaped, controls and bidi shown."""
    return html.escape(visible(text, limit, lines=lines), quote=True)


def isolated_html(text: object, limit: int = NAME_LIMIT) -> str:
    """A name for the page, in ``<bdi>`` so that it cannot reorder its neighbours."""
    return f"<bdi>{for_html(text, limit, lines=False)}</bdi>"
