"""The main window: navigation of views, model picker, device setting, honest status bar."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QFrame, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow, QMessageBox,
    QProgressBar, QPushButton, QStackedWidget, QVBoxLayout, QWidget,
)

from siamgui.ui.elided import ElidedLabel
from siamgui.ui.guide import GuideDialog

from siamgui.core import registry
from siamgui.core.device import short_name
from siamgui.ui import resources
from siamgui.ui.jobs import Jobs, Latest, Outcome
from siamgui.ui.settings import AppSettings
from siamgui.ui.views import View

DEVICE_TITLES = {"auto": "Auto", "cuda": "CUDA", "cpu": "CPU"}
OPEN_MODEL = "__open__"
FIRST_MODEL = "face"  # the app's headline: a first launch opens on it, its sample pair loaded
NO_MODELS = "No models installed — open an .onnx model file with a SiamGUI card to start."


def model_summaries() -> list[tuple[str, str]]:
    """(name, what it compares) for every installed model, read from the registry and the cards
    (the About box lists them all, never a hand-kept list)."""
    import re

    from siamgui.core.modelcard import CardError, read_card  # onnxruntime: off the UI thread

    rows = []
    for name, path in registry.available().items():
        try:
            text = read_card(path).description.strip()
        except CardError as exc:
            text = f"unusable ({exc})"
        first = re.split(r"\.\s+(?=[A-Z])", text)[0].rstrip(".")  # "(e.g. cat or dog)" stays whole
        if len(first) > 90:
            first = first[:90].rsplit(" ", 1)[0].rstrip(",;:(") + "…"
        rows.append((name, first))
    return rows


def load_encoder(path: str, device: str):
    from siamgui.core.encoder import Encoder  # imports onnxruntime: keep it off the UI thread

    return Encoder.load(path, device=device)


class EmptyState(QFrame):
    """Shown instead of the views while no model is loaded."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("emptyState")
        icon = QLabel()
        icon.setPixmap(QIcon(str(resources.icon_path())).pixmap(96, 96))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel(NO_MODELS)
        self.title.setObjectName("emptyTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)
        self.detail = QLabel(
            "Shipped models go in the models/ folder; your own in "
            f"{registry.user_dir()} or a folder named in $SIAMGUI_MODELS. "
            "The Train view (on the left) can make one."
        )
        self.detail.setObjectName("muted")
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setWordWrap(True)
        self.open_button = QPushButton("Open model…")
        self.open_button.setObjectName("primaryButton")
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setFixedSize(220, 6)
        self.busy.hide()
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(icon)
        layout.addSpacing(12)
        layout.addWidget(self.title)
        layout.addWidget(self.detail)
        layout.addSpacing(16)
        layout.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.busy, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(3)

    def show_text(self, title: str, detail: str | None = None, busy: bool = False) -> None:
        self.title.setText(title)
        if detail is not None:
            self.detail.setText(detail)
        self.busy.setVisible(busy)
        self.open_button.setVisible(not busy)


class MainWindow(QMainWindow):
    def __init__(self, settings: AppSettings | None = None, jobs: Jobs | None = None, autoload: bool = True,
                 samples_root: Path | None = None, show_first: bool = False):
        """``show_first`` (the app's start): only the shell is built here, with Qt and the window's own
        modules, so the window shows at once; :meth:`finish_start` then starts the model loading and
        builds the views one per turn of the event loop (their modules import numpy, OpenCV and the
        tasks). Without it (tests, scripts) everything is ready when the constructor returns."""
        super().__init__()
        self.settings = settings or AppSettings()
        self.jobs = jobs or Jobs(self)
        self.encoder = None
        self.views: list[View] = []
        self._loads = Latest(self.jobs)  # the newest model choice alone is loaded into the views
        self._loading_path: str | None = None
        self.error_box: QMessageBox | None = None
        self.setWindowTitle("SiamGUI")
        self.setWindowIcon(QIcon(str(resources.icon_path())))
        remembered_view = self.settings.last_view  # read before the first view is selected below
        self._first_launch = not self.settings.last_model
        self._samples_on_load = False  # set by a first launch: Compare gets the model's sample pair
        self.place_on_screen()

        self._build_header()
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(150)
        self.nav.setIconSize(QSize(18, 18))
        self.nav.currentRowChanged.connect(self._select_view)
        self.view_stack = QStackedWidget()
        self.empty = EmptyState()
        self.empty.open_button.clicked.connect(lambda: self.choose_model_file())
        self.content = QStackedWidget()
        self.content.addWidget(self.empty)
        self.content.addWidget(self.view_stack)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.nav)
        body.addWidget(self.content, 1)
        central = QWidget()
        central.setObjectName("central")
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.header)
        outer.addLayout(body, 1)
        self.setCentralWidget(central)
        self._build_menus()
        self._build_status()

        self._samples_root = samples_root
        self._gallery = None
        self._gallery_lock = threading.Lock()
        self._view_steps = [self._add_compare_view, self._add_people_views, self._add_calibrate_view,
                            self._add_fewshot_view, self._add_train_view]
        self._autoload = autoload
        self._remembered_view = remembered_view  # selected once the views exist
        if show_first:
            self.refresh_models()
            first = self._initial_model() if autoload else None
            if first:  # the state the model load will show, shown before it starts
                self._set_loading(True, f"Loading {Path(first).stem} model…")
            return
        self.build_views()
        self.refresh_models()
        self._show_content()
        if autoload:
            self.load_initial_model()

    def finish_start(self) -> None:
        """After the window is shown (``show_first``): load the model in the background and add the
        views, one per turn of the event loop so the window keeps painting."""
        if not self.isVisible():
            return  # closed before it started (``siamgui bench`` closes it as soon as it shows)
        if self._autoload:
            self._autoload = False
            self.load_initial_model()
        if self._view_steps:
            self._view_steps.pop(0)()
            self._views_added()
            if self._view_steps:
                QTimer.singleShot(0, self.finish_start)

    def pending_views(self) -> int:
        """How many views are still to be added after the window showed (0 once all are built)."""
        return len(self._view_steps)

    def build_views(self) -> None:
        """Every view not built yet, now."""
        while self._view_steps:
            self._view_steps.pop(0)()
        self._views_added()

    def _views_added(self) -> None:
        if self.nav.currentRow() < 0 and self.views:
            self.nav.setCurrentRow(0)
        titles = [v.title for v in self.views]
        if not self._view_steps and self._remembered_view in titles:  # a later launch opens where the last closed
            self.nav.setCurrentRow(titles.index(self._remembered_view))
            self._remembered_view = None
        self._show_content()

    def _add_compare_view(self) -> None:
        from siamgui.ui.compare_view import CompareView  # noqa: PLC0415

        self.compare = CompareView(self.jobs, samples_root=self._samples_root)
        self.add_view(self.compare)

    def _add_calibrate_view(self) -> None:
        from siamgui.ui.calibrate_view import CalibrateView  # noqa: PLC0415
        self.calibrate = CalibrateView(self.jobs, gallery_factory=self.gallery)
        self.calibrate.thresholdStored.connect(lambda _value: self._threshold_stored())
        self.add_view(self.calibrate)

    def _add_fewshot_view(self) -> None:
        from siamgui.ui.fewshot_view import FewShotView  # noqa: PLC0415
        self.fewshot = FewShotView(self.jobs)
        self.add_view(self.fewshot)

    def _add_train_view(self) -> None:
        from siamgui.ui.train_view import TrainView  # noqa: PLC0415
        self.train = TrainView()
        self.train.modelTrained.connect(self._model_trained)
        self.train.modelRemoved.connect(lambda _path: self.refresh_models())
        self.add_view(self.train)

    def gallery(self):
        """The one enrolment store the Live and Gallery views share, opened on first use (often by a job)."""
        with self._gallery_lock:  # two jobs asking first must not open two stores
            if self._gallery is None:
                from siamgui.core.gallery import Gallery  # noqa: PLC0415

                self._gallery = Gallery()
            return self._gallery

    def _add_people_views(self) -> None:
        from siamgui.ui.gallery_view import GalleryView  # noqa: PLC0415
        from siamgui.ui.live_view import LiveView  # noqa: PLC0415

        self.live = LiveView(self.jobs, gallery_factory=self.gallery)
        self.gallery_view = GalleryView(self.jobs, gallery_factory=self.gallery)
        for view in (self.live, self.gallery_view):
            self.add_view(view)
        self.gallery_view.changed.connect(self.live.refresh_people)

    # --- shell -----------------------------------------------------------------------------
    def add_view(self, view: View) -> None:
        """Add a page to the navigation; it receives the current encoder now and on every change."""
        self.views.append(view)
        self.view_stack.addWidget(view)
        view.status.connect(self.flash)  # every view's passing messages, one way
        item = QListWidgetItem(view.title)
        item.setToolTip(view.tooltip)
        item.setSizeHint(QSize(120, 40))
        self.nav.addItem(item)
        view.set_encoder(self.encoder)

    def _select_view(self, row: int) -> None:
        if row < 0 or row >= len(self.views):
            return
        current = self.view_stack.currentWidget()
        if isinstance(current, View) and current is not self.views[row]:
            current.deactivated()
        self.view_stack.setCurrentIndex(row)
        self.settings.last_view = self.views[row].title
        self._show_content()
        self.views[row].activated()

    def _show_content(self) -> None:
        """The views, or the empty state while no model is loaded (a view that needs none, such as
        Train, still shows: it is how a first model is made)."""
        current = self.view_stack.currentWidget()
        usable = self.encoder is not None or (isinstance(current, View) and not current.needs_model)
        self.content.setCurrentWidget(self.view_stack if usable else self.empty)

    def _model_trained(self, path: str) -> None:
        """A run of the Train view wrote ``path``: list it, and use it when no model is loaded."""
        self.refresh_models()
        if self.encoder is None and not self.loading:
            self.load_model(path)

    # --- header ----------------------------------------------------------------------------
    def _build_header(self) -> None:
        self.header = QFrame()
        self.header.setObjectName("header")
        logo = QLabel()
        logo.setPixmap(QIcon(str(resources.icon_path())).pixmap(28, 28))
        name = QLabel("SiamGUI")
        name.setObjectName("appName")
        tagline = QLabel("how a Siamese network judges similarity")
        tagline.setObjectName("tagline")
        self.model_combo = QComboBox()
        self.model_combo.setObjectName("modelCombo")
        self.model_combo.setMinimumWidth(220)
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.model_combo.activated.connect(self._model_chosen)
        self.device_combo = QComboBox()
        self.device_combo.setObjectName("deviceCombo")
        for key, title in DEVICE_TITLES.items():
            self.device_combo.addItem(title, key)
        self.device_combo.setToolTip("Where the model runs: Auto uses CUDA when it really works, else CPU")
        self.device_combo.setCurrentIndex(self.device_combo.findData(self.settings.device))
        self.device_combo.activated.connect(lambda i: self.set_device(self.device_combo.itemData(i)))
        self.header_busy = QProgressBar()
        self.header_busy.setObjectName("headerBusy")
        self.header_busy.setRange(0, 0)
        self.header_busy.setTextVisible(False)
        self.header_busy.setFixedSize(80, 6)
        self.header_busy.hide()
        model_caption = QLabel("Model")
        model_caption.setObjectName("headerCaption")
        device_caption = QLabel("Device")
        device_caption.setObjectName("headerCaption")
        h = QHBoxLayout(self.header)
        h.setContentsMargins(16, 10, 16, 10)
        h.setSpacing(10)
        h.addWidget(logo)
        h.addWidget(name)
        h.addWidget(tagline)
        h.addStretch(1)
        h.addWidget(self.header_busy)
        h.addWidget(model_caption)
        h.addWidget(self.model_combo)
        h.addSpacing(10)
        h.addWidget(device_caption)
        h.addWidget(self.device_combo)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_model_action = QAction("Open &model…", self)
        self.open_model_action.setShortcut(QKeySequence("Ctrl+M"))
        self.open_model_action.triggered.connect(lambda: self.choose_model_file())
        file_menu.addAction(self.open_model_action)
        for side, key in (("A", "Ctrl+1"), ("B", "Ctrl+2")):
            act = QAction(f"Open file {side}…", self)
            act.setShortcut(QKeySequence(key))
            act.triggered.connect(lambda checked=False, side=side: self._open_side(side))
            file_menu.addAction(act)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(lambda: self.close())
        file_menu.addAction(quit_action)

        settings_menu = bar.addMenu("&Settings")
        device_menu = settings_menu.addMenu("&Device")
        self.device_group = QActionGroup(self)
        self.device_actions: dict[str, QAction] = {}
        for key, title in DEVICE_TITLES.items():
            act = QAction(title, self, checkable=True)
            act.setData(key)
            act.setChecked(key == self.settings.device)
            act.triggered.connect(lambda checked=False, key=key: self.set_device(key))
            self.device_group.addAction(act)
            device_menu.addAction(act)
            self.device_actions[key] = act

        help_menu = bar.addMenu("&Help")
        self.guide_action = QAction("&Guide to the views", self)
        self.guide_action.setShortcut(QKeySequence.StandardKey.HelpContents)
        self.guide_action.triggered.connect(lambda: self.show_guide())
        help_menu.addAction(self.guide_action)
        self.about_action = QAction("&About SiamGUI", self)
        self.about_action.triggered.connect(lambda: self._about())
        help_menu.addAction(self.about_action)
        self.guide: GuideDialog | None = None

    def _build_status(self) -> None:
        bar = self.statusBar()
        self.provider_label = QLabel("No model")
        self.provider_label.setObjectName("providerLabel")
        self.note_label = ElidedLabel("")  # a narrow window ends the note in "…" (whole text in the tooltip)
        self.note_label.setObjectName("providerNote")
        self.note_label.hide()
        self.busy_label = QLabel("")
        self.busy_label.setObjectName("muted")
        # passing messages get their own label: QStatusBar.showMessage would hide the provider
        self.flash_label = QLabel("")
        self.flash_label.setObjectName("flashLabel")
        self.flash_label.setTextFormat(Qt.TextFormat.PlainText)  # "Enrolled Zoë & Co <i>x</i>" as typed
        self.flash_timer = QTimer(self)
        self.flash_timer.setSingleShot(True)
        self.flash_timer.timeout.connect(lambda: self.flash_label.setText(""))
        bar.addWidget(self.provider_label)
        bar.addWidget(self.note_label, 1)
        bar.addPermanentWidget(self.flash_label)
        bar.addPermanentWidget(self.busy_label)

    def flash(self, text: str, ms: int = 6000) -> None:
        """A passing message beside the provider line (which stays: it says where the model runs)."""
        self.flash_label.setText(text)
        self.flash_timer.start(ms)

    # --- models ----------------------------------------------------------------------------
    def model_entries(self) -> list[tuple[str, str]]:
        """(title, path) for the installed models, then the ones the user opened by hand."""
        entries, seen = [], set()
        for name, path in registry.available().items():
            entries.append((name, str(path)))
            seen.add(str(Path(path).resolve()))
        for p in self.settings.user_models:
            if Path(p).is_file() and str(Path(p).resolve()) not in seen:
                entries.append((f"{Path(p).stem}  ({Path(p).parent.name}/)", p))
                seen.add(str(Path(p).resolve()))
        return entries

    def refresh_models(self) -> None:
        combo = self.model_combo
        combo.blockSignals(True)
        combo.clear()
        for title, path in self.model_entries():
            combo.addItem(title, path)
            combo.setItemData(combo.count() - 1, path, Qt.ItemDataRole.ToolTipRole)
        if combo.count():
            combo.insertSeparator(combo.count())
        combo.addItem("Open model…", OPEN_MODEL)
        combo.blockSignals(False)
        self._select_current_in_combo()

    def _select_current_in_combo(self) -> None:
        combo = self.model_combo
        combo.blockSignals(True)
        target = str(self.encoder.path) if self.encoder is not None else None
        idx = -1
        if target:
            for i in range(combo.count()):
                data = combo.itemData(i)
                if data not in (None, OPEN_MODEL) and Path(data).resolve() == Path(target).resolve():
                    idx = i
                    break
        if idx < 0:
            combo.setCurrentIndex(-1)
            combo.setPlaceholderText("Choose a model")
        else:
            combo.setCurrentIndex(idx)
        combo.blockSignals(False)

    def load_initial_model(self) -> None:
        first = self._initial_model()
        if not first:
            self.empty.show_text(NO_MODELS)
            return
        self.load_model(first)

    def _initial_model(self) -> str | None:
        """The model to load at start: the last one used when still there, else the first listed."""
        paths = [p for _, p in self.model_entries()]
        last = self.settings.last_model
        if last in paths:
            return last
        if not paths:
            return None
        self._samples_on_load = self._first_launch  # a verdict on screen at once, not two empty panes
        return next((p for title, p in self.model_entries() if title == FIRST_MODEL), paths[0])

    def _model_chosen(self, index: int) -> None:
        data = self.model_combo.itemData(index)
        if data == OPEN_MODEL:
            self._select_current_in_combo()
            self.choose_model_file()
        elif data:
            self.load_model(data)

    def choose_model_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open model", "", "ONNX models (*.onnx);;All files (*)")
        if path:
            self.open_model_path(path)

    def open_model_path(self, path: str) -> None:
        """Load any .onnx; on success it is remembered and listed in the model picker."""
        self.load_model(str(path), remember=True)

    def load_model(self, path: str, remember: bool = False) -> None:
        """Load on a pool thread; the current model stays in use until the new one is ready."""
        device = self.settings.device
        self._loading_path = path
        self._set_loading(True, f"Loading {Path(path).stem} model…")
        self._loads.submit(lambda: load_encoder(path, device),
                           lambda outcome: self._model_loaded(path, remember, outcome))

    @property
    def loading(self) -> bool:
        return self._loading_path is not None

    def _set_loading(self, on: bool, text: str = "") -> None:
        self.header_busy.setVisible(on)
        self.busy_label.setText(text if on else "")
        self.model_combo.setEnabled(not on)
        if self.encoder is None:
            if on:
                self.empty.show_text(text, "", busy=True)
            elif not self.model_entries():
                self.empty.show_text(NO_MODELS, None)

    def _model_loaded(self, path: str, remember: bool, outcome: Outcome) -> None:
        self._loading_path = None  # (a newer choice's request dropped this one's delivery)
        self._set_loading(False)
        if not outcome.ok:
            self._select_current_in_combo()
            if self.encoder is None:
                self.empty.show_text("Could not load the model", outcome.error)
            self.show_error("Could not load the model", f"{Path(path).name}: {outcome.error}"
                            if not outcome.error.startswith(Path(path).name) else outcome.error)
            return
        self.encoder = outcome.value
        self.settings.last_model = path
        if remember:
            self.settings.add_user_model(path)
        self.refresh_models()
        self._update_status()
        self.flash("")  # "Why? maps ready" was about the previous model's pair
        for view in self.views:
            view.set_encoder(self.encoder)
        self._show_content()
        if self._samples_on_load:
            self._samples_on_load = False
            self.load_first_sample_pair()

    def load_first_sample_pair(self) -> None:
        """Fill Compare's empty panes with the model's first shipped pair (a first launch's welcome)."""
        pairs = getattr(self.compare, "sample_pairs", [])
        if pairs and all(pane.path is None for pane in self.compare.panes.values()):
            self.compare.load_pair(pairs[0].a, pairs[0].b)

    # --- screen ----------------------------------------------------------------------------
    def available_geometry(self):
        """The screen area a window may use (less task bars): where this window is, else the primary.
        None on Qt's offscreen platform, whose 800x800 "screen" is a placeholder, not a display."""
        from PySide6.QtGui import QGuiApplication

        if QGuiApplication.platformName() == "offscreen":
            return None
        screen = self.screen() or QGuiApplication.primaryScreen()
        return screen.availableGeometry() if screen is not None else None

    def place_on_screen(self) -> None:
        """Open inside the available screen: the saved geometry (or 1280x800) clamped to it."""
        from PySide6.QtCore import QRect

        from siamgui.ui.screen_fit import DEFAULT_SIZE, MINIMUM_SIZE, fit_within, minimum_within

        available = self.available_geometry()
        saved = self.settings.geometry
        if available is None:  # no screen to fit: the default size, or the saved one as it was
            self.setMinimumSize(MINIMUM_SIZE)
            self.resize(QRect(*saved).size() if saved else DEFAULT_SIZE)
            return
        self.setMinimumSize(minimum_within(available))
        self.setGeometry(fit_within(available, QRect(*saved) if saved else None))

    def set_device(self, device: str) -> None:
        if device not in DEVICE_TITLES:
            return
        changed = device != self.settings.device
        self.settings.device = device
        self.device_combo.setCurrentIndex(self.device_combo.findData(device))
        self.device_actions[device].setChecked(True)
        if changed and (self.encoder is not None or self._loading_path):
            self.load_model(self._loading_path or str(self.encoder.path))

    def _update_status(self) -> None:
        enc = self.encoder
        if enc is None:
            self.provider_label.setText("No model")
            self.note_label.hide()
            return
        providers = enc.providers
        running = short_name(providers[0]) if providers else "?"
        self.provider_label.setText(f"{enc.name}  ·  running on {running}  ·  asked for "
                                    f"{DEVICE_TITLES.get(enc.requested, enc.requested)}")
        self.provider_label.setToolTip("onnxruntime providers in use: " + ", ".join(providers))
        note = enc.provider_note
        self.note_label.setText(note or "")
        self.note_label.setVisible(bool(note))
        self.note_label.setProperty("severity", "warn" if enc.requested == "cuda" else "info")
        self.note_label.style().unpolish(self.note_label)
        self.note_label.style().polish(self.note_label)

    # --- misc ------------------------------------------------------------------------------
    def _open_side(self, side: str) -> None:
        if self.encoder is None:
            self.choose_model_file()
            return
        self.build_views()
        self.nav.setCurrentRow(self.views.index(self.compare))
        self.compare.panes[side].open_dialog()

    def show_error(self, title: str, text: str) -> None:
        """A window-modal but non-blocking message box (the app keeps running behind it)."""
        if self.error_box is not None:
            self.error_box.close()
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()
        self.error_box = box

    def _threshold_stored(self) -> None:
        """A threshold stored in Calibrate applies at once in the views that judge."""
        self.build_views()
        self.compare.threshold_stored()
        self.live.threshold_stored()

    def show_guide(self) -> GuideDialog:
        """The short guide to the views and the ideas behind them (non-modal, one at a time)."""
        if self.guide is None:
            self.guide = GuideDialog(self)
        self.guide.show()
        self.guide.raise_()
        self.guide.activateWindow()
        return self.guide

    def _about(self) -> None:
        """The About box, naming every installed model (the cards are read off the UI thread)."""
        self.jobs.submit(model_summaries, lambda outcome: self._show_about(outcome.value if outcome.ok else []))

    def _show_about(self, models: list[tuple[str, str]]) -> None:
        from html import escape

        from siamgui import __version__

        listed = "".join(f"<li><b>{escape(n)}</b>: {escape(d)}</li>" for n, d in models)
        count = {1: "One model is", 2: "Two models are", 3: "Three models are", 4: "Four models are",
                 5: "Five models are", 6: "Six models are"}.get(len(models), f"{len(models)} models are")
        QMessageBox.about(self, "About SiamGUI",
                          f"<b>SiamGUI {__version__}</b><p>See how a Siamese network judges similarity, "
                          "with the region each encoder saw, the distance, a verdict and a threshold you can "
                          "move.</p>" + (f"<p>{count} installed:</p><ul>{listed}</ul>" if models else
                                         "<p>No models are installed yet.</p>"))

    def closeEvent(self, event) -> None:  # noqa: N802
        g = self.normalGeometry() if self.isMaximized() else self.geometry()
        self.settings.geometry = (g.x(), g.y(), g.width(), g.height())
        for view in self.views:
            view.shutdown()
        self.jobs.shutdown()
        super().closeEvent(event)
