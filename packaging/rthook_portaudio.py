# PyInstaller runtime hook: let sounddevice find the PortAudio library carried in the bundle.
# sounddevice asks ctypes.util.find_library("portaudio"), which only searches system folders.
import ctypes.util
import os
import sys

_find_library = ctypes.util.find_library


def _find_bundled(name):
    if name == "portaudio":
        for candidate in ("libportaudio.so.2", "libportaudio.2.dylib", "portaudio.dll"):
            path = os.path.join(getattr(sys, "_MEIPASS", ""), candidate)
            if os.path.exists(path):
                return path
    return _find_library(name)


ctypes.util.find_library = _find_bundled
