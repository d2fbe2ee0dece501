"""``python -m veob`` runs the ``veob`` command line."""

import sys

from veob.cli import main

if __name__ == "__main__":
    sys.exit(main())
