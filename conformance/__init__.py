"""mmapspec: an executable specification of the luapower mmap API.

``mmapspec.reference`` is a ctypes implementation of the API, ``mmapspec.spec``
the clause catalogue and its tests, ``mmapspec.adapters`` the door through which
tests reach an implementation, and this package the conformance runner.
"""

__version__ = "0.1.0"


def version() -> str:
    """The installed distribution's version (the package's own when not installed)."""
    from importlib import metadata

    try:
        return metadata.version("mmapspec")
    except metadata.PackageNotFoundError:
        return __version__
