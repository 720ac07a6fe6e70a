"""Train: run one of the seeds' recipes (or a folder of classes) with ``siamgui-train`` in a separate
process and watch it learn: the training loss and the held-out EER / 20-way one-shot curves drawn
live from the lines it prints. Torch never enters the app's process (QProcess).

The command is ``python -m siamgui.train.cli`` with the app's interpreter; ``$SIAMGUI_TRAIN_COMMAND``
(or the ``command`` argument) replaces it, e.g. with a fake trainer in tests.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QProcess, Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QInputDialog,
                               QLabel, QMessageBox,
                               QPlainTextEdit, QPushButton, QVBoxLayout, QWidget)

from siamgui.ui.charts.training import CurvePlot
from siamgui.ui.views import View

ENV_COMMAND = "SIAMGUI_TRAIN_COMMAND"
INSTALL_HINT = ('Training needs PyTorch, which this installation lacks. Install the train extra: '
                'pip install "siamgui[train]"  (then restart SiamGUI).')
OWN_FOLDER = "__folder__"
ASKING = "Asking siamgui-train what it offers…"
LINE = re.compile(r"^step (\d+) \(([\d.]+) min\) loss (\S+)"
                  r"(?: val EER ([\d.]+)% AUC ([\d.]+))?(?: 20-way ([\d.]+)%)?")
FINAL = "[siamgui-train] validation ("


@dataclass
class Progress:
    """What the trainer's lines said so far: (step, value) series for the curves."""

    loss: list[tuple[int, float]] = field(default_factory=list)
    eer: list[tuple[int, float]] = field(default_factory=list)  # percent
    way20: list[tuple[int, float]] = field(default_factory=list)  # percent correct
    minutes: float = 0.0
    final: dict | None = None  # the final validation's figures (the trainer's JSON), once it printed them
    held: str = ""  # what they were measured on, e.g. "8 held-out classes"

    def feed(self, line: str) -> bool:
        """Take one printed line; True when it carried figures."""
        line = line.strip()
        if line.startswith(FINAL):  # the final validation: one more point on the held-out curves
            try:
                figures = json.loads(line.split(": ", 1)[1])
            except (IndexError, ValueError):
                return False
            if not isinstance(figures, dict):
                return False
            self.final = figures
            self.held = line[len(FINAL):].split("):", 1)[0]
            step = max((s for s, _ in self.loss), default=0)
            if "eer" in figures:
                self.eer.append((step, 100.0 * float(figures["eer"])))
            if "one_shot_20" in figures:
                self.way20.append((step, 100.0 * float(figures["one_shot_20"])))
            return "eer" in figures
        m = LINE.match(line)
        if not m:
            return False
        step = int(m.group(1))
        self.minutes = float(m.group(2))
        try:
            self.loss.append((step, float(m.group(3))))
        except ValueError:
            pass
        if m.group(4):
            self.eer.append((step, float(m.group(4))))
        if m.group(6):
            self.way20.append((step, float(m.group(6))))
        return True


def _pct(value: float) -> str:
    return f"{100.0 * float(value):.1f}%"


# the seed's metric names -> ours, where one of ours measures the same thing
SEED_METRIC = {"pair_accuracy": ("accuracy", "pair accuracy"), "one_shot_20": ("one_shot_20", "20-way one-shot"),
               "one_shot": ("one_shot_20", "20-way one-shot")}


def plain_result(figures: dict, held: str = "", reported: dict | None = None) -> str:
    """The final validation in words a learner reads (not the trainer's JSON), beside the seed's
    own figure when the run is one of its recipes."""
    parts = []
    if "eer" in figures:
        parts.append(f"equal error rate {_pct(figures['eer'])}"
                     + (f" (AUC {float(figures['auc']):.3f})" if "auc" in figures else ""))
    if "accuracy" in figures:
        parts.append(f"{_pct(figures['accuracy'])} of pairs judged right at the threshold")
    ways = [f"{n}-way one-shot {_pct(figures[f'one_shot_{n}'])}" for n in (5, 20) if f"one_shot_{n}" in figures]
    parts += ways
    if not parts:
        return "The run ended without figures: too few held-out samples to measure it."
    text = f"Result on {held or 'the held-out data'}: " + "; ".join(parts) + "."
    if reported:
        text += f" The seed reports {reported.get('figure', 'no figure')}"
        ours = SEED_METRIC.get(reported.get("metric") or "")
        if reported.get("value") is not None and ours and ours[0] in figures:
            text += f"; this run: {_pct(figures[ours[0]])} {ours[1]}"
        text += "."
    return text


_LISTINGS: dict[tuple[str, ...], dict] = {}  # the trainer's --list answer, once a session per command
_ASKING: dict[tuple[str, ...], "_Asker"] = {}


class _Asker(QObject):
    """Runs ``siamgui-train --list --json`` in a process (the UI thread never waits) and caches its answer."""

    done = Signal(object, str)  # the listing (or None) and, on failure, one sentence

    def __init__(self, command: list[str]):
        super().__init__(QCoreApplication.instance())
        self.key = tuple(command)
        self.proc = QProcess(self)
        self.proc.finished.connect(lambda code, _status: self._finished(code))
        self.proc.errorOccurred.connect(self._error)
        QCoreApplication.instance().aboutToQuit.connect(self.proc.kill)
        program, *pre = command
        self.proc.start(program, [*pre, "--list", "--json"])

    def _end(self, listing: dict | None, error: str) -> None:
        _ASKING.pop(self.key, None)
        if listing is not None:
            _LISTINGS[self.key] = listing
        self.done.emit(listing, error)

    def _error(self, err) -> None:
        if err == QProcess.ProcessError.FailedToStart:
            self._end(None, f"Could not start the trainer ({' '.join(self.key[:1])}). {INSTALL_HINT}")

    def _finished(self, code: int) -> None:
        try:
            out = bytes(self.proc.readAllStandardOutput()).decode("utf-8", "replace")
            err = bytes(self.proc.readAllStandardError()).decode("utf-8", "replace").strip()
        except RuntimeError:  # the application is closing and took the process with it
            _ASKING.pop(self.key, None)
            return
        try:
            listing = json.loads(out)
            if code != 0 or not all(isinstance(listing.get(k), dict) for k in ("presets", "losses", "recipes")):
                raise ValueError
        except (ValueError, AttributeError):
            if "No module named" in err:
                self._end(None, INSTALL_HINT)
            else:
                last = err.splitlines()[-1] if err else f"exit code {code}"
                self._end(None, f"siamgui-train did not say what it offers ({last}).")
            return
        self._end(listing, "")


def trainer_available() -> bool:
    """Whether this app can run ``siamgui-train`` (a Python with torch; not a frozen bundle)."""
    return not getattr(sys, "frozen", False) and importlib.util.find_spec("torch") is not None


class _Line(QLabel):
    """A status line that takes no room while it has nothing to say (the plot gets the height)."""

    def setText(self, text: str) -> None:  # noqa: N802 - Qt
        super().setText(text)
        self.setVisible(bool(text))


class TrainView(View):
    title = "Train"
    tooltip = "Train an encoder (a seed's recipe or your folder of classes) and watch it learn"
    modelTrained = Signal(str)  # path of the new .onnx (the window refreshes its model picker)
    modelRemoved = Signal(str)  # path of a deleted .onnx (the window refreshes its model picker)
    needs_model = False  # it makes models: reachable before any is installed

    def __init__(self, parent: QWidget | None = None, command: list[str] | None = None,
                 models_dir: Path | None = None):
        super().__init__(parent)
        self.setObjectName("trainView")
        env = os.environ.get(ENV_COMMAND)
        self.command = command or (shlex.split(env) if env else None)
        self.models_dir = models_dir
        self.process: QProcess | None = None
        self.progress = Progress()
        self.lines: list[str] = []
        self.folder: Path | None = None
        self.out: Path | None = None
        self.workdir: Path | None = None
        self.last_args: list[str] = []
        self._buffer = ""
        self._started = 0.0

        title = QLabel("Train")
        title.setObjectName("viewTitle")
        self.listing: dict | None = None  # the trainer's own --list answer (never a copy kept here)
        self.recipe_combo = QComboBox()
        self.recipe_combo.currentIndexChanged.connect(lambda _i: self._recipe_changed())
        self.folder_button = QPushButton("Folder of classes…")
        self.folder_button.clicked.connect(lambda: self.choose_folder())
        self.folder_label = QLabel("")
        self.folder_label.setObjectName("muted")
        self.preset_combo = QComboBox()
        self.preset_combo.currentIndexChanged.connect(lambda _i: self._preset_changed())
        self.loss_combo = QComboBox()
        self.loss_combo.currentIndexChanged.connect(lambda _i: self._explain_loss())
        self.minutes = QDoubleSpinBox()
        self.minutes.setRange(0.1, 600)
        self.minutes.setValue(5.0)
        self.minutes.setSuffix(" min")
        self.about = QLabel("")
        self.about.setWordWrap(True)
        self.about.setObjectName("muted")

        form = QFormLayout()
        form.setVerticalSpacing(4)  # five rows: room for the curves on a 1024x700 screen
        form.addRow("Recipe", self.recipe_combo)
        row = QHBoxLayout()
        row.setSpacing(8)  # the form's own spacing differs by direction: a nested row would get none
        row.addWidget(self.folder_button)
        row.addWidget(self.folder_label, 1)
        form.addRow("Data", row)
        form.addRow("Preset", self.preset_combo)
        form.addRow("Loss", self.loss_combo)
        form.addRow("Time", self.minutes)

        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(lambda: self.start())
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(lambda: self.cancel())
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Continue the cancelled run from its last checkpoint")
        self.resume_button.setEnabled(False)
        self.resume_button.clicked.connect(lambda: self.start(resume=True))
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.resume_button)
        buttons.addStretch(1)
        self.remove_button = QPushButton("Remove a trained model…")
        self.remove_button.setToolTip("Delete a model you trained here from the models folder (asks first)")
        self.remove_button.clicked.connect(lambda: self.remove_model())
        buttons.addWidget(self.remove_button)

        self.state = _Line("")
        self.state.setWordWrap(True)
        self.state.hide()
        self.result = _Line("")  # the final figures in words, beside the seed's
        self.result.hide()
        self.result.setObjectName("trainResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.plot = CurvePlot()
        self.plot.setMinimumHeight(150)  # with both status lines shown, still inside a 1024x700 screen
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(400)
        self.log.setMaximumHeight(130)
        self.log.setPlaceholderText("The trainer's own output appears here while it runs.")
        self.log.setMinimumHeight(56)  # a 1024x700 screen: the plot above keeps its height, never under the log

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 12, 20, 12)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.about)
        layout.addLayout(buttons)
        layout.addWidget(self.state)
        layout.addWidget(self.result)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.log)

        self.tick = QTimer(self)
        self.tick.setInterval(1000)
        self.tick.timeout.connect(self._tick)
        self.available = self.command is not None or trainer_available()
        self.start_button.setEnabled(False)  # until the trainer said what it offers
        self._asked = False  # the trainer is asked when the view is first shown (no process before)
        if not self.available:
            self.state.setText(INSTALL_HINT)
        self._recipe_changed()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt
        super().showEvent(event)
        if self.available and not self._asked:
            self._asked = True
            self._ask_trainer()

    # --- choices: the trainer's own, read from `siamgui-train --list --json` ------------------------
    def trainer_command(self) -> list[str]:
        """The trainer this view runs (the app's interpreter, unless a command replaces it)."""
        return list(self.command or [sys.executable, "-m", "siamgui.train.cli"])

    def _ask_trainer(self) -> None:
        """Ask the trainer once a session what it offers; the answer fills the choices when it comes."""
        command = self.trainer_command()
        key = tuple(command)
        if key in _LISTINGS:
            self._answered(_LISTINGS[key], "")
            return
        self.state.setText(ASKING)
        asker = _ASKING.get(key)
        if asker is None:
            asker = _ASKING[key] = _Asker(command)
        asker.done.connect(self._answered)

    def _answered(self, listing: dict | None, error: str) -> None:
        if listing is None:
            self.state.setText(error)
            self.start_button.setEnabled(False)
            return
        self.listing = listing
        for combo in (self.recipe_combo, self.preset_combo, self.loss_combo):
            combo.blockSignals(True)
            combo.clear()
        for name, r in listing["recipes"].items():
            self.recipe_combo.addItem(f"{name}: {r['title']}", name)
        self.recipe_combo.addItem("Your own folder of classes", OWN_FOLDER)
        for name, p in listing["presets"].items():
            if not p.get("requires_init"):  # fine-tuning presets need an imported encoder (command line)
                self.preset_combo.addItem(name, name)
                self.preset_combo.setItemData(self.preset_combo.count() - 1, p["description"],
                                              Qt.ItemDataRole.ToolTipRole)
        for name, note in listing["losses"].items():
            self.loss_combo.addItem(name, name)
            self.loss_combo.setItemData(self.loss_combo.count() - 1, note, Qt.ItemDataRole.ToolTipRole)
        for combo in (self.recipe_combo, self.preset_combo, self.loss_combo):
            combo.blockSignals(False)
        if self.state.text() == ASKING:
            self.state.setText("")
        self.start_button.setEnabled(self.available and not self.running)
        self._recipe_changed()

    @property
    def recipes(self) -> dict:
        """The trainer's recipes by name (empty until it answered)."""
        return dict(self.listing["recipes"]) if self.listing else {}

    @property
    def recipe(self) -> dict | None:
        name = self.recipe_combo.currentData()
        return None if name in (None, OWN_FOLDER) else {"name": name, **self.recipes[name]}

    def _recipe_changed(self) -> None:
        if self.listing is None:
            for w in (self.recipe_combo, self.folder_button, self.preset_combo, self.loss_combo):
                w.setEnabled(False)
            return
        self.recipe_combo.setEnabled(True)
        r = self.recipe
        own = r is None
        for w in (self.folder_button, self.preset_combo, self.loss_combo):
            w.setEnabled(own)
        for combo in (self.preset_combo, self.loss_combo):
            combo.blockSignals(True)
        if r is not None:
            self.preset_combo.setCurrentText(r["preset"])
            self.loss_combo.setCurrentText(r["loss"])
            self.minutes.setValue(r["minutes"])
            note = r["note"][:1].upper() + r["note"][1:]
            self.about.setText(f"Seed reports {r['reported']['figure']}. {note}".strip())
            self.folder_label.setText(", ".join(r["data"]))
        else:
            preset = self.listing["presets"].get(self.preset_combo.currentText())
            self.about.setText("A folder with one sub-folder per class (person, speaker, kind of thing). "
                               + (f"{preset['description']} Its defaults: loss {preset['loss']}, "
                                  f"{preset['minutes']:g} min." if preset else ""))
            self.folder_label.setText(str(self.folder) if self.folder else "no folder chosen")
        for combo in (self.preset_combo, self.loss_combo):
            combo.blockSignals(False)
        self._explain_loss()

    def _preset_changed(self) -> None:
        """A new preset starts from its own loss (the trainer's default for it)."""
        preset = (self.listing or {}).get("presets", {}).get(self.preset_combo.currentText())
        if preset is not None and self.recipe is None:
            self.loss_combo.setCurrentText(preset["loss"])
        self._recipe_changed()

    def _explain_loss(self) -> None:
        note = (self.listing or {}).get("losses", {}).get(self.loss_combo.currentText(), "")
        self.loss_combo.setToolTip(note)

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder of classes (one sub-folder per class)")
        if path:
            self.folder = Path(path)
            self._recipe_changed()

    def _models_dir(self) -> Path:
        if self.models_dir is not None:
            return self.models_dir
        from siamgui.core import registry

        return registry.user_dir()

    def arguments(self, resume: bool = False) -> list[str]:
        """The ``siamgui-train`` arguments for the current choices (the same ones a terminal takes)."""
        models = self._models_dir()
        r = self.recipe
        if r is not None:
            name = r["model"]
            args = ["recipe", r["name"]]
        else:
            if self.folder is None:
                raise ValueError("Choose a folder of classes first.")
            name = f"{self.folder.name}-{self.preset_combo.currentText()}"
            args = [str(self.folder), "--preset", self.preset_combo.currentText(),
                    "--loss", self.loss_combo.currentText()]
        self.out = models / f"{name}.onnx"
        self.workdir = models.parent / "runs" / name
        args += ["--out", str(self.out), "--workdir", str(self.workdir), "--minutes", f"{self.minutes.value():g}",
                 "--no-progress", "--log-every", "5", "--eval-every", "30"]
        if resume:
            args += ["--resume", str(self.workdir / "checkpoint.pt")]
        return args

    # --- the process ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning

    def start(self, resume: bool = False) -> None:
        """Start ``siamgui-train`` as a separate process; its lines feed the curves."""
        if self.running or not self.available or self.listing is None:
            return
        try:
            args = self.arguments(resume)
        except ValueError as exc:
            self.state.setText(str(exc))
            return
        self._models_dir().mkdir(parents=True, exist_ok=True)
        program, *pre = self.command or [sys.executable, "-m", "siamgui.train.cli"]
        self.progress = Progress() if not resume else self.progress
        self.result.setText("")
        self.plot.set_progress(self.progress)
        self.lines, self._buffer = [], ""
        self.last_args = args
        proc = QProcess(self)
        proc.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        env = proc.processEnvironment()
        if env.isEmpty():
            from PySide6.QtCore import QProcessEnvironment

            env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        proc.setProcessEnvironment(env)
        proc.readyReadStandardOutput.connect(lambda: self._read(proc))
        proc.finished.connect(lambda code, _status: self._finished(proc, code))
        proc.errorOccurred.connect(lambda err: self._failed(proc, err))
        self.process = proc
        self._started = time.monotonic()
        proc.start(program, [*pre, *args])
        self.start_button.setEnabled(False)
        self.resume_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.state.setText(("Resuming" if resume else "Starting") + f" siamgui-train {' '.join(args[:2])}…")
        self.tick.start()
        self.status.emit("Training started")

    def _read(self, proc: QProcess) -> None:
        if proc is not self.process:
            return
        self._buffer += bytes(proc.readAllStandardOutput()).decode("utf-8", "replace").replace("\r", "\n")
        *lines, self._buffer = self._buffer.split("\n")
        changed = False
        for line in lines:
            if not line.strip():
                continue
            self.lines.append(line)
            self.log.appendPlainText(line)
            changed |= self.progress.feed(line)
        if changed:
            self.plot.set_progress(self.progress)

    def _tick(self) -> None:
        if self.running:
            last = self.progress.loss[-1][1] if self.progress.loss else None
            seen = f", loss {last:.3f}" if last is not None else ""
            eer = f", held-out EER {self.progress.eer[-1][1]:.1f}%" if self.progress.eer else ""
            self.state.setText(f"Training… {time.monotonic() - self._started:.0f} s{seen}{eer}")

    def cancel(self) -> None:
        """Stop the run (the process ends as on Ctrl-C); Resume continues from its checkpoint."""
        if self.running:
            self.state.setText("Cancelling…")
            self.process.terminate()
            if not self.process.waitForFinished(5000):
                self.process.kill()

    def _failed(self, proc: QProcess, err) -> None:
        if proc is self.process and err == QProcess.ProcessError.FailedToStart:
            self.state.setText(f"Could not start the trainer ({proc.program()}). {INSTALL_HINT}")
            self._idle()

    def _finished(self, proc: QProcess, code: int) -> None:
        if proc is not self.process:
            return
        self._read(proc)
        if self._buffer.strip():
            self._read_tail()
        self.tick.stop()
        self._idle()
        checkpoint = self.workdir is not None and (self.workdir / "checkpoint.pt").is_file()
        if self.progress.final is not None:
            r = self.recipe
            self.result.setText(plain_result(self.progress.final, self.progress.held,
                                             r["reported"] if r is not None else None))
        if code == 0 and self.out is not None and self.out.is_file():
            self.state.setText(f"Done: {self.out.name} is in the model picker with its card "
                               f"({self.out.parent}).")
            self.status.emit(f"Trained {self.out.name}")
            self.modelTrained.emit(str(self.out))
        elif self.process is not None and self.process.exitStatus() == QProcess.ExitStatus.CrashExit or code in (130, 143, -15):
            said = next((l for l in reversed(self.lines) if "interrupted" in l), "")
            if checkpoint:
                self.state.setText("Cancelled. Resume continues from the last checkpoint "
                                   f"({self.workdir / 'checkpoint.pt'}).")
            else:  # what the trainer printed says the same: nothing to resume
                self.state.setText("Cancelled before the first checkpoint (one is written every minute): "
                                   "nothing to resume; Start begins again.")
                if "--resume" in said:  # a trainer that claims a checkpoint it did not leave
                    self.log.appendPlainText(f"(no checkpoint at {self.workdir / 'checkpoint.pt'})")
            self.resume_button.setEnabled(checkpoint)
        else:
            errors = [l for l in self.lines if "error" in l.lower()]
            self.state.setText(errors[-1] if errors else f"siamgui-train stopped (exit code {code}).")

    def _read_tail(self) -> None:
        line, self._buffer = self._buffer, ""
        self.lines.append(line)
        self.log.appendPlainText(line)
        if self.progress.feed(line):
            self.plot.set_progress(self.progress)

    def trained_models(self) -> list[Path]:
        """The models in the user's models folder (where this view writes), newest first."""
        folder = self._models_dir()
        if not folder.is_dir():
            return []
        return sorted(folder.glob("*.onnx"), key=lambda p: p.stat().st_mtime, reverse=True)

    def remove_model(self) -> None:
        """Delete a model trained here (and its curve) after the user confirms; the picker forgets it."""
        models = self.trained_models()
        if not models:
            QMessageBox.information(self, "Remove a trained model",
                                    f"There is no trained model in {self._models_dir()}.")
            return
        name, ok = QInputDialog.getItem(self, "Remove a trained model", "Model to remove:",
                                        [p.name for p in models], 0, False)
        if not ok or not name:
            return
        path = self._models_dir() / name
        answer = QMessageBox.question(self, "Remove a trained model",
                                      f"Delete {name} from {path.parent}? This cannot be undone.",
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return
        path.unlink(missing_ok=True)
        path.with_name(path.stem + "-curve.png").unlink(missing_ok=True)
        self.state.setText(f"Removed {name}.")
        self.status.emit(f"Removed {name}")
        self.modelRemoved.emit(str(path))

    def _idle(self) -> None:
        self.start_button.setEnabled(self.available and self.listing is not None)
        self.cancel_button.setEnabled(False)

    def shutdown(self) -> None:
        self.cancel()
