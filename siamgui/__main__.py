import sys

from siamgui.cli import main

sys.exit(main())
