"""Entry point of the frozen app: the same CLI as `siamgui` (no arguments opens the window)."""

import sys

from siamgui.cli import main

if __name__ == "__main__":
    sys.exit(main())
