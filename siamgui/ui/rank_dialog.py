"""Compare's one-file-against-a-folder window: the folder's files nearest first, each with its verdict.

The ranking runs in a job (``tasks/ranking.py``); this window shows its progress, the ranked
list and a one-line summary, and a double-click puts a file in Compare's pane B.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout

from siamgui.ui.pane import shown_path

SAME = QColor("#15803d")
DIFF = QColor("#b91c1c")


class RankDialog(QDialog):
    """Ranked files of a folder; ``chosen(path)`` when the user double-clicks one."""

    chosen = Signal(str)
    cancelled = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("rankDialog")
        self.setWindowTitle("A against a folder")
        self.resize(520, 560)
        self.title = QLabel("")
        self.title.setObjectName("sectionTitle")
        self.title.setWordWrap(True)
        self.summary = QLabel("")
        self.summary.setObjectName("muted")
        self.summary.setWordWrap(True)
        self.rows = QListWidget()
        self.rows.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.rows.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.rows.itemActivated.connect(lambda item: self.chosen.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.rows.currentRowChanged.connect(lambda row: self.open_button.setEnabled(row >= 0))
        self.open_button = QPushButton("Open as B")
        self.open_button.setObjectName("primaryButton")
        self.open_button.setToolTip("Put the chosen file in Compare's pane B (or double-click it)")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(lambda: self._open_current())
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(lambda: self.cancelled.emit())
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(lambda: self.close())
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addWidget(self.summary)
        lay.addWidget(self.rows, 1)
        lay.addLayout(buttons)

    def _open_current(self) -> None:
        item = self.rows.currentItem()
        if item is not None:
            self.chosen.emit(item.data(Qt.ItemDataRole.UserRole))

    def start(self, query: Path, folder: Path) -> None:
        self.title.setText(f"{shown_path(query)} against the files of {folder}")
        self.summary.setText("Finding files…")
        self.rows.clear()
        self.cancel_button.show()

    def progress(self, done: int, total: int) -> None:
        self.summary.setText(f"Embedding {done:,} of {total:,} files…")

    def failed(self, message: str) -> None:
        self.cancel_button.hide()
        self.summary.setText(message)

    def show_ranking(self, ranking) -> None:
        """The list, nearest first: rank, folder/name, distance and verdict."""
        self.cancel_button.hide()
        self.rows.clear()
        for i, r in enumerate(ranking.rows, start=1):
            verdict = "✓ SAME" if r.same else "✗ DIFFERENT"
            item = QListWidgetItem(f"{i}.  {shown_path(r.file)}   {r.distance:.3f}   {verdict}")
            item.setForeground(SAME if r.same else DIFF)
            item.setToolTip(f"{r.file}\ndouble-click: open it as B")
            item.setData(Qt.ItemDataRole.UserRole, str(r.file))
            self.rows.addItem(item)
        skipped = f"; {len(ranking.skipped)} could not be read" if ranking.skipped else ""
        self.summary.setText(f"{len(ranking.rows):,} files, {ranking.same_count:,} judged the same at threshold "
                             f"{ranking.threshold:.3f}{skipped}. Pick one and open it as B to see the pair.")
