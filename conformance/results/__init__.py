"""The results: statuses, the per-clause aggregation, the report model, expectations,
the exit status and the report formats (JSON, JUnit, Markdown, terminal).

The bottom room of the runner: it imports none of the commands, the plugin or the viewer.
"""
