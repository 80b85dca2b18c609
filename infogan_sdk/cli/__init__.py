"""The `infogan` command line, a skin over the public API: `parser` builds the arguments and runs `main`; one
module per group of subcommands (`draw`, `infer`, `dataset`, `info`, `bench`, `serve`); `rows` writes what
infer reads; `interrupts` stops a command on SIGTERM and SIGHUP as on Ctrl-C (`python -m train` and `python -m
export` use it too).

May import anything of the SDK's public surface and `serve.config` (defaults only: no web library); only the
command modules print.
"""

from infogan_sdk.cli.parser import main

__all__ = ["main"]
