"""Which onnxruntime execution providers to ask for, and why CUDA was not given.

onnxruntime-gpu lists CUDA as "available" even with no GPU and then silently falls back to
CPU; only ``session.get_providers()`` tells the truth. This module asks, then explains.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from siamgui.errors import UserError

DEVICES = ("auto", "cuda", "cpu")
CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
ENV_DEVICE = "SIAMGUI_DEVICE"


@dataclass(frozen=True)
class ProviderChoice:
    requested: str  # "auto" | "cuda" | "cpu"
    providers: list[str]  # what to ask onnxruntime for, in order


class DeviceError(UserError, ValueError):
    """A device name that is none of DEVICES (from --device or the environment)."""


def resolve_device(device: str | None) -> str:
    """Device from the argument, else $SIAMGUI_DEVICE, else auto; DeviceError naming where a
    wrong name came from (a mistyped environment value is the user's, not a bug)."""
    dev = (device or os.environ.get(ENV_DEVICE) or "auto").strip().lower()
    if dev not in DEVICES:
        where = "" if device else f" in ${ENV_DEVICE}"
        raise DeviceError(f"unknown device {dev!r}{where} (choose one of: {', '.join(DEVICES)})")
    return dev


def choose(device: str | None) -> ProviderChoice:
    import onnxruntime as ort

    dev = resolve_device(device)
    if dev == "cpu" or CUDA not in ort.get_available_providers() or not gpu_present():
        return ProviderChoice(dev, [CPU])
    if hasattr(ort, "preload_dlls") and _in_nvidia_wheels("cudart"):  # CUDA / cuDNN from nvidia-* wheels
        try:
            ort.preload_dlls()
        except Exception:
            pass
    return ProviderChoice(dev, [CUDA, CPU])


def gpu_present() -> bool:
    """An NVIDIA driver is loaded (Linux); elsewhere assume yes and let onnxruntime decide."""
    if os.name != "posix" or not Path("/proc").exists():
        return True
    return Path("/dev/nvidiactl").exists() or Path("/proc/driver/nvidia").exists()


def why_no_cuda() -> str:
    """Best explanation of why the CUDA provider did not load on this machine."""
    import ctypes.util  # here, not at the top: the window's settings import this module before it shows

    import onnxruntime as ort

    if CUDA not in ort.get_available_providers():
        return "this onnxruntime build has no CUDA support (install onnxruntime-gpu on Linux/Windows with an NVIDIA GPU)"
    if not gpu_present():
        return "no NVIDIA GPU or driver found on this machine"
    for lib, what in (("cudart", "CUDA runtime"), ("cublas", "cuBLAS"), ("cudnn", "cuDNN 9")):
        if ctypes.util.find_library(lib) is None and not _in_nvidia_wheels(lib):
            return f"the {what} library ({lib}) was not found; install CUDA 12/13 and cuDNN 9, or the nvidia-* pip wheels"
    return "the CUDA provider failed to initialise (driver / CUDA version mismatch?)"


def _in_nvidia_wheels(lib: str) -> bool:
    try:
        import nvidia  # type: ignore[import-not-found]
    except ImportError:
        return False
    for root in getattr(nvidia, "__path__", []):
        if any(Path(root).rglob(f"lib{lib}*.so*")) or any(Path(root).rglob(f"{lib}*.dll")):
            return True
    return False


def provider_note(requested: str, active: list[str]) -> str | None:
    """None when the user got what they asked for; otherwise a sentence saying what and why."""
    if requested == "cpu" or CUDA in active:
        return None
    reason = why_no_cuda()
    if requested == "cuda":
        return f"CUDA was requested but is not in use: {reason}. Running on CPU."
    return f"Running on CPU: {reason}."


def short_name(provider: str) -> str:
    return provider.replace("ExecutionProvider", "")
