"""What the app remembers between runs (device, models opened by hand, last model)."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from siamgui.core.device import DEVICES

ORG = APP = "SiamGUI"


def default_settings() -> QSettings:
    return QSettings(ORG, APP)


class AppSettings:
    """Typed access to a QSettings store; tests pass their own (an .ini in a temp folder)."""

    def __init__(self, store: QSettings | None = None):
        self.store = store if store is not None else default_settings()

    # device ---------------------------------------------------------------------------------
    @property
    def device(self) -> str:
        value = str(self.store.value("device", "auto") or "auto").lower()
        return value if value in DEVICES else "auto"

    @device.setter
    def device(self, value: str) -> None:
        self.store.setValue("device", value)
        self.store.sync()

    # models ---------------------------------------------------------------------------------
    @property
    def user_models(self) -> list[str]:
        value = self.store.value("models/opened", [])
        if value in (None, ""):
            return []
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value]

    def add_user_model(self, path: str) -> None:
        models = [m for m in self.user_models if m != path]
        self.store.setValue("models/opened", [path, *models][:20])
        self.store.sync()

    def remove_user_model(self, path: str) -> None:
        self.store.setValue("models/opened", [m for m in self.user_models if m != path])
        self.store.sync()

    @property
    def last_model(self) -> str:
        return str(self.store.value("models/last", "") or "")

    @last_model.setter
    def last_model(self, value: str) -> None:
        self.store.setValue("models/last", value)
        self.store.sync()

    # window ---------------------------------------------------------------------------------
    @property
    def last_view(self) -> str:
        """The title of the view shown when the window last closed ("" on a first launch)."""
        return str(self.store.value("window/view", "") or "")

    @last_view.setter
    def last_view(self, value: str) -> None:
        self.store.setValue("window/view", value)

    @property
    def geometry(self) -> tuple[int, int, int, int] | None:
        """(x, y, width, height) of the window when it last closed, or None."""
        value = self.store.value("window/geometry", None)
        if isinstance(value, str):
            value = value.split(",")
        try:
            x, y, w, h = (int(v) for v in value)
        except (TypeError, ValueError):
            return None
        return (x, y, w, h) if w > 0 and h > 0 else None

    @geometry.setter
    def geometry(self, value: tuple[int, int, int, int]) -> None:
        self.store.setValue("window/geometry", ",".join(str(int(v)) for v in value))
        self.store.sync()
