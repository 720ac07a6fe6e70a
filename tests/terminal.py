"""Run ``siamgui`` with a real pseudo-terminal as its stderr, as a person at a terminal sees it:
how the progress bars (shown only on a terminal) are tested end to end."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT


def on_a_terminal(*args) -> tuple[subprocess.CompletedProcess, bytes]:
    """``python -m siamgui ARGS`` with stderr a 100-column pseudo-terminal and stdout piped: the
    finished process and every byte the terminal received."""
    import fcntl
    import select
    import struct
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "siamgui", *map(str, args)], stdout=subprocess.PIPE,
                          stderr=slave, env=env, timeout=120, text=True)
    os.close(slave)
    seen = b""
    while select.select([master], [], [], 5)[0]:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # every writer has gone: all of it was read
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    return proc, seen
