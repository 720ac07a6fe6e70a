"""The enrolment store: people, their 1-5 samples, and embeddings per model (SQLite).

Samples keep their original media (file bytes), so switching models re-embeds from what was
enrolled; embeddings are tagged with the sha256 of the model that made them, so embeddings of
two models are never compared. Every write is one transaction (WAL journal): a crash or a full
disk mid-write leaves the last committed state. The file holds biometric data: it is created
readable and writable by its owner only.

When something is wrong with the file the gallery still opens, without a traceback: a damaged file
is kept aside under a timestamped name and a fresh gallery starts (``Gallery.recovered``); a file,
folder or file system that cannot be written opens read-only (``Gallery.read_only``), where browsing,
identifying and export work and every change is refused in one sentence.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from siamgui.core.compare import from_cosine, l2_normalise
from siamgui.errors import UserError

MAX_SAMPLES = 5
SCHEMA = """
CREATE TABLE IF NOT EXISTS people (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS samples (
    id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    modality TEXT NOT NULL, suffix TEXT NOT NULL, media BLOB NOT NULL, source TEXT, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS embeddings (
    sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE, model_hash TEXT NOT NULL,
    model_name TEXT, vector BLOB NOT NULL, PRIMARY KEY (sample_id, model_hash));
CREATE INDEX IF NOT EXISTS embeddings_by_model ON embeddings(model_hash);
"""
# every read of embeddings goes through all_embeddings: the stored ones, plus (read-only gallery) the
# session's own, which a model new to the gallery computes and cannot store
ALL_EMBEDDINGS = """
CREATE TEMP VIEW IF NOT EXISTS all_embeddings AS
    SELECT sample_id, model_hash, model_name, vector FROM main.embeddings;
"""
SESSION_EMBEDDINGS = """
CREATE TEMP TABLE IF NOT EXISTS session_embeddings (
    sample_id INTEGER NOT NULL, model_hash TEXT NOT NULL, model_name TEXT, vector BLOB NOT NULL,
    PRIMARY KEY (sample_id, model_hash));
CREATE TEMP VIEW IF NOT EXISTS all_embeddings AS
    SELECT sample_id, model_hash, model_name, vector FROM main.embeddings
    UNION ALL SELECT sample_id, model_hash, model_name, vector FROM temp.session_embeddings;
"""
FILENAME = "gallery.sqlite3"
SQLITE_HEADER = b"SQLite format 3\x00"


class GalleryError(UserError, ValueError):
    """A gallery operation the user asked for that cannot be done (message for the user)."""


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    samples: int


@dataclass(frozen=True)
class Sample:
    id: int
    person_id: int
    modality: str
    suffix: str
    media: bytes
    source: str


@dataclass(frozen=True)
class Match:
    name: str
    person_id: int
    distance: float
    sample_id: int


@dataclass(frozen=True)
class Identification:
    matches: list[Match]  # best first, one per person
    threshold: float

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None

    @property
    def known(self) -> bool:
        return self.best is not None and self.best.distance <= self.threshold

    @property
    def label(self) -> str:
        return self.best.name if self.known else "unknown"


def default_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("siamgui", appauthor=False)) / FILENAME


def _file_path(path: str | Path | None) -> Path:
    """The gallery file for ``path``: a folder (existing, or written with a trailing slash) holds FILENAME."""
    if not path:
        return default_path()
    p = Path(path).expanduser()
    if p.is_dir() or str(path).endswith(("/", os.sep)):
        return p / FILENAME
    if p.exists() and not p.is_file():
        raise GalleryError(f"{p} is not a regular file; give a gallery file or a folder to keep it in")
    return p


def _unwritable(path: Path) -> str:
    """Why the gallery at ``path`` cannot be written, in a few words ("" when it can)."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"its folder {folder} cannot be created: {(exc.strerror or str(exc)).lower()}"
    if _read_only_fs(folder):
        return "the file system is read-only"
    if path.exists() and not os.access(path, os.W_OK):
        return "the file is not writable"
    if not os.access(folder, os.W_OK):  # SQLite writes its journal beside the file
        return "its folder is not writable"
    return ""


def _not_sqlite(path: Path) -> bool:
    """A non-empty file without the SQLite header (an empty file is a new database)."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except OSError:
        return False
    return bool(head) and head != SQLITE_HEADER


def _read_only_fs(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # no statvfs (Windows): the write itself will say
        return False


def _code(exc: BaseException) -> int:
    return (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


def _is_damage(exc: BaseException) -> bool:
    """SQLITE_CORRUPT / SQLITE_NOTADB, or a failed integrity check."""
    text = str(exc).lower()
    return _code(exc) in (11, 26) or "malformed" in text or "not a database" in text


def _is_read_only(exc: BaseException) -> bool:
    """SQLITE_PERM / SQLITE_READONLY / SQLITE_CANTOPEN."""
    return _code(exc) in (3, 8, 14) or "readonly" in str(exc).lower()


class Gallery:
    """The enrolment store. Opening it never loses data and never ends in a traceback:

    * a folder as ``path`` means ``FILENAME`` inside it;
    * a damaged file is renamed aside (``recovered`` says where) and a fresh gallery starts;
    * a file or folder that cannot be written opens read-only (``read_only`` says why): people,
      samples, identification and export work, and every change is refused with that sentence.
    """

    def __init__(self, path: str | Path | None = None):
        self.path = _file_path(path)
        self.recovered: Path | None = None  # where a damaged gallery file was kept
        self.read_only = ""  # a sentence saying why changes are refused; "" when writable
        self._cache: dict[str, tuple] = {}
        self._lock = threading.RLock()  # one connection, shared by the UI and worker threads
        self._db = self._open()

    # --- opening -------------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        why = _unwritable(self.path)
        if _not_sqlite(self.path):  # set aside before SQLite touches it (closing would delete a stale -wal)
            damage = "file is not a database"
            if why:
                raise GalleryError(f"the gallery file {self.path} is damaged ({damage}) and read-only ({why}), "
                                   "so it cannot be set aside; copy it elsewhere or choose another gallery")
            self._set_aside(damage)
        elif why:
            return self._open_read_only(why)
        try:
            return self._open_writable()
        except sqlite3.DatabaseError as exc:
            if _is_damage(exc):
                self._set_aside(exc)
                return self._open_writable()
            if _is_read_only(exc):
                return self._open_read_only(_unwritable(self.path) or "it cannot be written")
            raise GalleryError(f"the gallery {self.path} cannot be opened ({exc})") from None

    def _open_writable(self) -> sqlite3.Connection:
        if not self.path.exists():  # create owner-only before SQLite touches it
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        try:
            os.chmod(self.path, 0o600)
        except OSError:
            pass
        db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        try:
            self._check(db)
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            db.executescript(SCHEMA)
            db.executescript(ALL_EMBEDDINGS)
        except BaseException:
            db.close()
            raise
        return db

    def _open_read_only(self, why: str) -> sqlite3.Connection:
        self.read_only = (f"the gallery {self.path} is read-only ({why}): it can be browsed and used to identify, "
                          "but not changed")
        db = self._connect_read_only(why) if self.path.exists() else None
        if db is None:  # nothing stored, and nowhere to create it: an empty gallery
            db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            db.executescript(SCHEMA)
        # embeddings a new model computes are kept for this session only, in memory
        db.execute("PRAGMA temp_store = MEMORY")
        db.executescript(SESSION_EMBEDDINGS)
        return db

    def _connect_read_only(self, why: str) -> sqlite3.Connection | None:
        """The file opened read-only (None when it holds no gallery tables yet)."""
        # mode=ro sees a crash's uncommitted WAL; immutable=1 needs no -shm file (read-only folder)
        for flags in ("mode=ro", "immutable=1"):
            db = sqlite3.connect(f"{self.path.resolve().as_uri()}?{flags}", uri=True, check_same_thread=False,
                                 isolation_level=None)
            try:
                self._check(db)
            except sqlite3.DatabaseError as exc:
                db.close()
                if _is_damage(exc):
                    raise GalleryError(f"the gallery file {self.path} is damaged ({exc}) and read-only ({why}), "
                                       "so it cannot be set aside; copy it elsewhere or choose another gallery") from None
                continue
            wal = Path(str(self.path) + "-wal")
            if flags.startswith("immutable") and wal.exists() and wal.stat().st_size:
                self.read_only += (f"; changes after its last clean close are in {wal.name} and need write access "
                                   "to be read")
            if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'people'").fetchone():
                return db
            db.close()
            return None
        raise GalleryError(f"the gallery {self.path} cannot be opened read-only ({why})")

    def _check(self, db: sqlite3.Connection) -> None:
        """Raise sqlite3.DatabaseError on a damaged file; GalleryError on a database that is not a gallery."""
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and "people" not in tables:
            raise GalleryError(f"{self.path} is an SQLite database but not a SiamGUI gallery; choose another file")
        ok = db.execute("PRAGMA quick_check(1)").fetchone()
        if not ok or ok[0] != "ok":
            raise sqlite3.DatabaseError(f"database disk image is malformed ({ok[0] if ok else 'no answer'})")

    def _set_aside(self, exc: BaseException | str) -> None:
        """Rename the damaged file (and its -wal/-shm) with a timestamp; never delete it."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for n in range(1, 1000):
            target = self.path.with_name(f"{self.path.stem}.damaged-{stamp}{'' if n == 1 else f'-{n}'}{self.path.suffix}")
            if not target.exists():
                break
        try:
            os.replace(self.path, target)
        except OSError as err:
            raise GalleryError(f"the gallery file {self.path} is damaged ({exc}) and could not be set aside "
                               f"({err.strerror}); move it away or choose another gallery") from None
        for side in ("-wal", "-shm", "-journal"):  # a stale WAL must never be replayed into the fresh gallery
            old = Path(str(self.path) + side)
            if old.exists():
                try:
                    os.replace(old, Path(str(target) + side))
                except OSError:
                    old.unlink(missing_ok=True)
        self.recovered = target

    def notice(self) -> str:
        """One sentence for the user about how the gallery was opened ("" when all is normal)."""
        if self.recovered:
            return (f"the gallery file was damaged: it was kept as {self.recovered} and a fresh gallery was "
                    f"started in {self.path}")
        return self.read_only

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise GalleryError(self._explain(exc)) from None

    def _explain(self, exc: sqlite3.DatabaseError) -> str:
        """One sentence for a failed read or write."""
        if _is_damage(exc):
            return (f"the gallery file {self.path} is damaged ({exc}); open it again to keep the damaged file "
                    "aside and start a fresh gallery")
        if _code(exc) == 13:
            return f"the disk holding the gallery {self.path} is full; nothing was changed"
        if _is_read_only(exc):
            return f"the gallery {self.path} cannot be changed ({exc}); nothing was changed"
        return f"the gallery {self.path}: {exc}"

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "Gallery":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- transactions --------------------------------------------------------------------
    def _write(self, fn):
        """Run fn(cursor) in one IMMEDIATE transaction; all or nothing. Refused on a read-only gallery."""
        if self.read_only:
            raise GalleryError(self.read_only)
        with self._lock:
            cur = self._db.cursor()
            try:
                cur.execute("BEGIN IMMEDIATE")
                try:
                    result = fn(cur)
                    cur.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:
                        cur.execute("ROLLBACK")
                    raise
            except sqlite3.DatabaseError as exc:
                raise GalleryError(self._explain(exc)) from None
            finally:
                self._cache.clear()
            return result

    # --- reading -------------------------------------------------------------------------
    def people(self) -> list[Person]:
        rows = self._query(
            "SELECT p.id, p.name, COUNT(s.id) FROM people p LEFT JOIN samples s ON s.person_id = p.id "
            "GROUP BY p.id ORDER BY p.name COLLATE NOCASE")
        return [Person(*r) for r in rows]

    def person(self, name: str) -> Person | None:
        return next((p for p in self.people() if p.name == name), None)

    def sample_counts(self, modality: str) -> dict[int, int]:
        """{person id: number of samples of this modality}, without reading any media."""
        rows = self._query("SELECT person_id, COUNT(*) FROM samples WHERE modality = ? GROUP BY person_id",
                           (modality,))
        return {int(pid): int(n) for pid, n in rows}

    def samples(self, person_id: int | None = None) -> list[Sample]:
        q = "SELECT id, person_id, modality, suffix, media, COALESCE(source, '') FROM samples"
        rows = self._query(q + (" WHERE person_id = ?" if person_id is not None else "") + " ORDER BY id",
                                () if person_id is None else (person_id,))
        return [Sample(*r) for r in rows]

    def missing_embeddings(self, model_hash: str, modality: str) -> list[Sample]:
        """Samples of this modality with no embedding from this model (to re-embed)."""
        rows = self._query(
            "SELECT s.id, s.person_id, s.modality, s.suffix, s.media, COALESCE(s.source, '') FROM samples s "
            "WHERE s.modality = ? AND NOT EXISTS (SELECT 1 FROM all_embeddings e WHERE e.sample_id = s.id "
            "AND e.model_hash = ?) ORDER BY s.id", (modality, model_hash))
        return [Sample(*r) for r in rows]

    def matrix(self, model_hash: str) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
        """(sample ids, person ids, names by row, vectors) of every embedding from this model; cached."""
        with self._lock:
            return self._matrix(model_hash)

    def _matrix(self, model_hash: str) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
        if model_hash not in self._cache:
            rows = self._query(
                "SELECT e.sample_id, s.person_id, p.name, e.vector FROM all_embeddings e "
                "JOIN samples s ON s.id = e.sample_id JOIN people p ON p.id = s.person_id "
                "WHERE e.model_hash = ? ORDER BY e.sample_id", (model_hash,))
            if rows:  # unit length once here, so a query is one matrix-vector product
                vecs = l2_normalise(np.stack([np.frombuffer(r[3], dtype=np.float32) for r in rows]))
            else:
                vecs = np.zeros((0, 0), np.float32)
            self._cache[model_hash] = (np.array([r[0] for r in rows], np.int64), np.array([r[1] for r in rows], np.int64),
                                       [r[2] for r in rows], vecs)
        return self._cache[model_hash]

    # --- identification ------------------------------------------------------------------
    def identify(self, query: np.ndarray, model_hash: str, metric: str, threshold: float, top: int = 5) -> Identification:
        """Nearest enrolled people to ``query`` (best sample per person), best first."""
        if top < 1:
            raise GalleryError(f"top must be 1 or more, not {top}")
        ids, pids, names, vecs = self.matrix(model_hash)
        if len(ids) == 0:
            return Identification([], threshold)
        q = l2_normalise(np.atleast_2d(np.asarray(query, np.float32)))[0]
        d = from_cosine(vecs @ q, metric)
        # a person has at most MAX_SAMPLES rows, so the top people are among the nearest top x MAX_SAMPLES rows
        k = top * MAX_SAMPLES
        if k < len(d):
            near = np.argpartition(d, k - 1)[:k]
            out = self._best_per_person(near[np.argsort(d[near], kind="stable")], d, ids, pids, names, top)
            if len(out) >= top:
                return Identification(out, threshold)
        out = self._best_per_person(np.argsort(d, kind="stable"), d, ids, pids, names, top)
        return Identification(out, threshold)

    @staticmethod
    def _best_per_person(order, d, ids, pids, names, top: int) -> list[Match]:
        seen: set[int] = set()
        out: list[Match] = []
        for i in order:
            if pids[i] in seen:
                continue
            seen.add(int(pids[i]))
            out.append(Match(names[i], int(pids[i]), float(d[i]), int(ids[i])))
            if len(out) >= top:
                break
        return out

    # --- writing -------------------------------------------------------------------------
    def enrol(self, name: str, samples: Sequence[tuple[str, str, bytes, str]], vectors: np.ndarray,
              model_hash: str, model_name: str) -> int:
        """Add a person (or samples to an existing one). samples: (modality, suffix, media, source)."""
        name = name.strip()
        if not name:
            raise GalleryError("a person needs a name")
        if not samples:
            raise GalleryError("enrol at least one sample")
        if len(samples) != len(vectors):
            raise ValueError("one vector per sample")
        vectors = np.asarray(vectors, dtype=np.float32)

        def write(cur):
            row = cur.execute("SELECT id FROM people WHERE name = ?", (name,)).fetchone()
            pid = row[0] if row else cur.execute("INSERT INTO people(name, created) VALUES (?, ?)",
                                                 (name, time.time())).lastrowid
            have = cur.execute("SELECT COUNT(*) FROM samples WHERE person_id = ?", (pid,)).fetchone()[0]
            if have + len(samples) > MAX_SAMPLES:
                raise GalleryError(f"{name} would have {have + len(samples)} samples; at most {MAX_SAMPLES}")
            for (modality, suffix, media, source), vec in zip(samples, vectors):
                sid = cur.execute("INSERT INTO samples(person_id, modality, suffix, media, source, created) "
                                  "VALUES (?, ?, ?, ?, ?, ?)", (pid, modality, suffix, media, source, time.time())).lastrowid
                cur.execute("INSERT INTO embeddings(sample_id, model_hash, model_name, vector) VALUES (?, ?, ?, ?)",
                            (sid, model_hash, model_name, vec.tobytes()))
            return pid

        return self._write(write)

    def store_embeddings(self, items: Iterable[tuple[int, np.ndarray]], model_hash: str, model_name: str) -> None:
        """Keep embeddings of stored samples; a read-only gallery keeps them for this session only."""
        rows = [(sid, model_hash, model_name, np.asarray(v, np.float32).tobytes()) for sid, v in items]
        if self.read_only:
            with self._lock:
                self._db.executemany("INSERT OR REPLACE INTO temp.session_embeddings(sample_id, model_hash, "
                                     "model_name, vector) VALUES (?, ?, ?, ?)", rows)
                self._cache.clear()
            return
        self._write(lambda cur: cur.executemany(
            "INSERT OR REPLACE INTO embeddings(sample_id, model_hash, model_name, vector) VALUES (?, ?, ?, ?)", rows))

    def rename(self, person_id: int, new_name: str) -> None:
        new_name = new_name.strip()
        if not new_name:
            raise GalleryError("a person needs a name")

        def write(cur):
            if cur.execute("SELECT 1 FROM people WHERE name = ? AND id != ?", (new_name, person_id)).fetchone():
                raise GalleryError(f"someone is already called {new_name}")
            cur.execute("UPDATE people SET name = ? WHERE id = ?", (new_name, person_id))

        self._write(write)

    def delete_sample(self, sample_id: int) -> None:
        self._write(lambda cur: cur.execute("DELETE FROM samples WHERE id = ?", (sample_id,)))

    def delete_person(self, person_id: int) -> None:
        self._write(lambda cur: cur.execute("DELETE FROM people WHERE id = ?", (person_id,)))

    def delete_all(self) -> None:
        """Forget everyone, and overwrite the freed pages (VACUUM) so nothing lingers on disk."""
        self._write(lambda cur: cur.execute("DELETE FROM people"))
        with self._lock:
            try:
                self._db.execute("VACUUM")
            except sqlite3.DatabaseError as exc:
                raise GalleryError(self._explain(exc)) from None

    def export(self, target: str | Path) -> Path:
        """A zip with one folder per person holding their original samples, plus people.json."""
        target = Path(target)
        index = []
        fd = os.open(target, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as z:
            for p in self.people():
                files = []
                for s in self.samples(p.id):
                    arc = f"{p.name}/{s.id}{s.suffix}"
                    z.writestr(arc, s.media)
                    files.append(arc)
                index.append({"name": p.name, "samples": files})
            z.writestr("people.json", json.dumps(index, indent=2))
        return target
