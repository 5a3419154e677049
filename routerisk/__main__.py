"""``python -m routerisk``: the command line."""

import sys

try:
    from routerisk.cli import run
except KeyboardInterrupt:  # Ctrl-C while the package is still importing
    print("routerisk: interrupted", file=sys.stderr)
    sys.exit(130)

run()
