"""The pytest plugin: its inert entry point (:mod:`.pytest_entry`), options, hooks,
what a spec test reports, the controller's collector and incomplete runs.

It imports the results (:mod:`mmapspec.results`), never the commands or the viewer.
This file stays empty: pytest imports the package with the entry point of every run.
"""
