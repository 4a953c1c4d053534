"""The viewer: ``mmapspec html``'s page (its model, parts, Markdown renderer and
assets) and ``mmapspec compare``'s comparison of two reports.

It reads reports through :mod:`mmapspec.results`; it imports neither the plugin nor
the commands.
"""
