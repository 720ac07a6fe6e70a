"""Progress bars for long command-line work, on stderr and only when stderr is a terminal.

The tasks report ``progress(done, total)``; :class:`Bar` is such a callable, drawing with tqdm
(a well-kept library, not a hand-written bar). Piped or redirected output, CI logs and tests
see nothing: a bar there is noise, and ``--json`` on stdout stays clean either way.

    with Bar("embedding", unit="file") as progress:
        calibrate(encoder, folder, progress=progress)
"""

from __future__ import annotations

import sys
from typing import IO, Any


class Bar:
    """A ``progress(done, total)`` callable; draws only when ``stream`` (stderr) is a terminal."""

    def __init__(self, desc: str, unit: str = "file", stream: IO[str] | None = None):
        self.desc, self.unit = desc, unit
        self.stream = sys.stderr if stream is None else stream
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self._bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=self.desc, unit=self.unit, file=self.stream, leave=True,
                             dynamic_ncols=True)
        if self._bar.total != total:
            self._bar.total = total
        self._bar.update(max(0, done - self._bar.n))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> "Bar":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
