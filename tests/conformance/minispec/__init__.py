"""A tiny spec for the runner's own tests (collected only with ``-o python_files=spec_*.py``).

It runs real maps through whatever adapter is selected and tags its tests with
synthetic clauses that ``catalogue_ext`` (loaded with ``-p minispec.catalogue_ext``)
adds to the catalogue, so the runner's tests do not depend on the real spec's
clauses, which another helper is writing in parallel.
"""
