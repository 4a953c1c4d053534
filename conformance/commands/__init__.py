"""The commands: ``mmapspec`` and its subcommands (:mod:`mmapspec.commands.cli`).

The top room of the runner: it may import the plugin, the results and the viewer;
nothing imports it.
"""
