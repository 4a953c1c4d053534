"""The ``pytest11`` entry point: the suite's options, and nothing else until asked.

Installing ``mmapspec[suite]`` puts this module in every pytest run of the
environment, the binding's own test suite among them. It only adds the
``--mmap-*`` options (pytest parses the command line before any plugin can look
at it) and imports nothing beyond :mod:`pathlib` (through :mod:`.defaults`). The plugin itself
(:mod:`mmapspec.plugin.hooks`: the run's tagname prefix, the signal handlers of an
incomplete run, the Hypothesis profiles, the reports) is registered only when the
run asks for it: the spec is among the arguments (``--pyargs mmapspec.spec``, a
path into the spec, ``testpaths``), an ``--mmap-*`` or ``--adapter-option`` option is
given, or the spec's ``conftest.py`` is loaded because the spec was collected. Its
one fixture, ``adapter``, is defined in the spec package's ``conftest.py``, so no
fixture name is taken outside it.
"""

from __future__ import annotations

import pytest
from mmapspec.plugin.defaults import DEFAULT_ADAPTER, DEFAULT_SPEC, spec_in_args

PLUGIN_NAME = "mmapspec.plugin"
_ASKING_OPTIONS = (
    "mmap_adapter",
    "adapter_option",
    "mmap_expectations",
    "mmap_json",
    "mmap_junit",
    "mmap_markdown",
    "mmap_strict",
    "mmap_timeout",
    "mmap_clause",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mmapspec", "mmap conformance")
    add = group.addoption
    add(
        "--mmap-adapter",
        default=None,
        help="adapter under test: a built-in name, module:attribute, or an entry point name "
        f"(default: {DEFAULT_ADAPTER})",
    )
    add(
        "--adapter-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an option for the adapter (repeatable), e.g. pipe_cmd='luajit harness.lua'",
    )
    add(
        "--mmap-expectations",
        default=None,
        metavar="FILE",
        help="TOML file of known deviations (clause ID, expected status, reason)",
    )
    add("--mmap-json", default=None, metavar="FILE", help="write the JSON report ('-': stdout)")
    add(
        "--mmap-junit",
        default=None,
        metavar="FILE",
        help="write JUnit XML, one testcase per clause",
    )
    add("--mmap-markdown", default=None, metavar="FILE", help="write a Markdown summary")
    add(
        "--mmap-strict",
        action="store_true",
        default=False,
        help="count clauses that differ from the suite's readings of the document's silent "
        "spots as deviations (by default they are listed apart)",
    )
    add(
        "--mmap-spec",
        default=None,
        metavar="PACKAGE",
        help="the spec package whose catalogue the tests' clauses are in "
        f"(its module PACKAGE.catalogue; default: {DEFAULT_SPEC})",
    )
    add(
        "--mmap-timeout",
        default=None,
        type=float,
        metavar="SECONDS",
        help="stop the whole run after this long and report it incomplete",
    )
    add(
        "--mmap-clause",
        action="append",
        default=[],
        metavar="PATTERN",
        help="run only tests of clauses matching this ID or glob (repeatable)",
    )


def asked(config: pytest.Config) -> bool:
    """Does this run ask for the plugin: the spec among its arguments, or an option of ours?"""
    opt = config.option
    given = any(getattr(opt, name, None) for name in _ASKING_OPTIONS)
    return given or getattr(opt, "mmap_spec", None) is not None or spec_in_args(config)


def activate(config: pytest.Config) -> None:
    """Register the plugin once (its ``pytest_configure`` runs on registration)."""
    manager = config.pluginmanager
    if manager.get_plugin(PLUGIN_NAME) is None and not manager.is_blocked(PLUGIN_NAME):
        from mmapspec.plugin import hooks

        manager.register(hooks, PLUGIN_NAME)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # Registered here, the plugin's pytest_configure runs at once: before Hypothesis's
    # reads --hypothesis-profile (on the controller and every xdist worker alike).
    if asked(config):
        activate(config)
