"""``python -m routerisk``: the command line."""

from routerisk.cli import run

run()
