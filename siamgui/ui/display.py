"""Is there a display for the window? Checked before Qt starts, since Qt aborts the process without one.

No Qt here: the check reads the environment only, so it costs nothing and cannot crash.
"""

from __future__ import annotations

import os
import sys
from typing import Mapping

HEADLESS_HINT = ("use the command line instead (siamgui compare A B; siamgui --help lists the commands), "
                 "or run with QT_QPA_PLATFORM=offscreen")


def missing_display(env: Mapping[str, str] | None = None, platform: str | None = None) -> str | None:
    """One sentence when the window cannot open for want of a display (Linux/BSD); None when it can."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if platform.startswith(("win", "darwin", "cygwin")):
        return None  # the desktop is always there
    x11, wayland = bool(env.get("DISPLAY")), bool(env.get("WAYLAND_DISPLAY"))
    qpa = env.get("QT_QPA_PLATFORM", "").strip().lower()
    names = [n.split(":")[0].strip() for n in qpa.split(";") if n.strip()]  # "wayland;xcb" tries both
    if names and not any(n.startswith(("xcb", "wayland")) for n in names):
        return None  # offscreen, minimal, vnc, eglfs, linuxfb: no desktop needed
    if not names:
        names = ["xcb", "wayland"]
    if any((n.startswith("xcb") and x11) or (n.startswith("wayland") and wayland) for n in names):
        return None
    unset = [v for v, n in (("DISPLAY", "xcb"), ("WAYLAND_DISPLAY", "wayland")) if any(x.startswith(n) for x in names)]
    said = " and ".join(unset) + (" are" if len(unset) > 1 else " is")
    return f"there is no display to open the window on ({said} not set); {HEADLESS_HINT}"
