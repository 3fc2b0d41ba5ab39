"""Subcommand modules: each has register(subparsers), listed in statusgen.cli.COMMAND_MODULES."""
