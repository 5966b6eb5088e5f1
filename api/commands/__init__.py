"""The `motcua` subcommands, one module per area; api/cli.py adds them to the group."""
