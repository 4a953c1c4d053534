"""A tiny spec for the runner's own tests (collected only with ``-o python_files=spec_*.py``).

It runs real maps through whatever adapter is selected and tags its tests with
synthetic clauses of its own catalogue (``minispec.catalogue``, read because the
run names ``--spec minispec``), so the runner's tests do not depend on the real
spec's clauses.
"""

__version__ = "0.0.1"
