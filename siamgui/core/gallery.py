"""The enrolment store: people, their 1-5 samples, and embeddings per model (SQLite).

Samples keep their original media (file bytes), so switching models re-embeds from what was
enrolled; embeddings are tagged with the sha256 of the model that made them, so embeddings of
two models are never compared. Every write is one transaction (WAL journal): a crash or a full
disk mid-write leaves the last committed state. The file holds biometric data: it is created
readable and writable by its owner only; a symbolic link is refused, never followed.

Galleries are scoped by input kind: each sample records the ``gallery_scope`` of the model that
enrolled it ("face", "voice", "sound", "glyph", "image"), and every listing, re-embedding and
identification for a model asks for that model's scope only. Face models A and B share their
people (B re-embeds A's samples); a fruit model never sees a face. A file from before scopes is
migrated when first opened writable (one transaction; see ``Gallery._migrate`` and core.scopes).

When something is wrong with the file the gallery still opens, without a traceback: a damaged file
is kept aside under a timestamped name and a fresh gallery starts (``Gallery.recovered``); a file,
folder or file system that cannot be written opens read-only (``Gallery.read_only``), where browsing,
identifying and export work and every change is refused in one sentence.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from siamgui.core.compare import from_cosine, l2_normalise
from siamgui.errors import UserError

MAX_SAMPLES = 5
SCHEMA = """
CREATE TABLE IF NOT EXISTS people (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created REAL NOT NULL, scope TEXT);
CREATE TABLE IF NOT EXISTS samples (
    id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    modality TEXT NOT NULL, suffix TEXT NOT NULL, media BLOB NOT NULL, source TEXT, created REAL NOT NULL,
    scope TEXT, filename TEXT);
CREATE TABLE IF NOT EXISTS embeddings (
    sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE, model_hash TEXT NOT NULL,
    model_name TEXT, vector BLOB NOT NULL, PRIMARY KEY (sample_id, model_hash));
CREATE INDEX IF NOT EXISTS embeddings_by_model ON embeddings(model_hash);
"""
# after the migration (an old file gains the columns first)
INDEXES = "CREATE INDEX IF NOT EXISTS samples_by_scope ON samples(scope, person_id);"
# every read of samples and people goes through all_samples / all_people: the stored columns, or
# (an old read-only gallery, which cannot be migrated) the scopes worked out for this session
SCOPED_VIEWS = """
CREATE TEMP VIEW IF NOT EXISTS all_samples AS
    SELECT id, person_id, modality, suffix, media, source, created, scope, filename FROM main.samples;
CREATE TEMP VIEW IF NOT EXISTS all_people AS SELECT id, name, created, scope FROM main.people;
"""
SESSION_SCOPES = """
CREATE TEMP TABLE IF NOT EXISTS sample_meta (sample_id INTEGER PRIMARY KEY, scope TEXT, filename TEXT);
CREATE TEMP TABLE IF NOT EXISTS person_meta (person_id INTEGER PRIMARY KEY, scope TEXT);
CREATE TEMP VIEW IF NOT EXISTS all_samples AS
    SELECT s.id, s.person_id, s.modality, s.suffix, s.media, s.source, s.created, m.scope, m.filename
    FROM main.samples s LEFT JOIN temp.sample_meta m ON m.sample_id = s.id;
CREATE TEMP VIEW IF NOT EXISTS all_people AS
    SELECT p.id, p.name, p.created, m.scope FROM main.people p LEFT JOIN temp.person_meta m ON m.person_id = p.id;
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
BUSY_TIMEOUT_S = 30.0  # how long a write waits for another process's transaction
SQLITE_HEADER = b"SQLite format 3\x00"


_BLAS_LOCK = threading.Lock()
_blas: list = []  # [threadpoolctl controller or None], made on first use


def _similarities(vecs: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``vecs @ q`` on one BLAS thread.

    A matrix-vector product of 10,000 x 512 floats takes well under a millisecond on one core. Split
    over OpenBLAS's threads it gains nothing, and on a busy machine (two cores, other processes) the
    calling thread spin-waits for a worker the scheduler has preempted: a whole time slice, 4-24 ms,
    per query. That, not the search, is why `siamgui bench --quick` once printed 11.9 ms at 10,000
    samples. threadpoolctl (when installed) pins the product to one thread; the lock keeps two
    searches from restoring each other's limits."""
    with _BLAS_LOCK:
        if not _blas:
            try:
                from threadpoolctl import ThreadpoolController

                _blas.append(ThreadpoolController())
            except Exception:  # noqa: BLE001 - not installed, or no BLAS it knows: numpy's own threads
                _blas.append(None)
        if _blas[0] is None:
            return vecs @ q
        with _blas[0].limit(limits=1, user_api="blas"):
            return vecs @ q


GALLERY_SUFFIXES = (".sqlite3", ".sqlite", ".db")  # a damaged file is set aside only under such a name


class GalleryError(UserError, ValueError):
    """A gallery operation the user asked for that cannot be done (message for the user)."""


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    samples: int
    scope: str = ""  # the kind of models that list them ("face", "voice", ...); "" when not asked


@dataclass(frozen=True)
class Sample:
    id: int
    person_id: int
    modality: str
    suffix: str
    media: bytes
    source: str
    scope: str = ""  # the gallery scope of the model that enrolled it ("face", "voice", ...)
    filename: str = ""  # the file's name when it was enrolled ("" for a camera frame or a recording)


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


def file_path(path: str | Path | None) -> Path:
    """The gallery file for ``path``: a folder (existing, or written with a trailing slash) holds FILENAME.

    A symbolic link is refused, never followed: opening a gallery creates, rewrites and chmods its
    file, which through a link would happen to whatever file the link points at."""
    p = default_path() if not path else Path(path).expanduser()
    if path and not p.is_symlink() and (p.is_dir() or str(path).endswith(("/", os.sep))):
        p = p / FILENAME
    if p.is_symlink():
        raise GalleryError(f"the gallery {p} is a symbolic link; give the real file (a link is never followed, "
                           "so the file it points at is not changed)")
    if p.exists() and not p.is_file():
        raise GalleryError(f"the gallery {p} is not a regular file (a folder or a device); "
                           "give a gallery file or a folder to keep it in")
    return p


def clean_name(name: str) -> str:
    """A person's name, trimmed; GalleryError for an empty one or one with a line break or another
    control character (it would break one-line-per-file output and every list that shows it)."""
    name = name.strip()
    if not name:
        raise GalleryError("a person needs a name")
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise GalleryError(f"a name cannot hold a line break, a tab or another control character ({name!r})")
    return name


def _filename(source: str) -> str:
    """The file name part of an enrolment source ("" for a camera frame, a recording or nothing)."""
    name = source.replace("\\", "/").rsplit("/", 1)[-1] if source else ""
    return name if "." in name.strip(".") else ""


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in db.execute(f"PRAGMA main.table_info({table})")}


def _attribute(rows: Iterable[tuple]) -> tuple[dict[int, str], list[tuple[int, str]]]:
    """Scopes for stored samples from the models that embedded them (see core.scopes).

    rows: (sample id, medium, model hash, model name), each sample's embeddings oldest first.
    Returns ({sample id: scope}, [(sample id, model hash) of embeddings made by a model of
    another scope]): those came from re-embedding a face with a fruit model, which scopes forbid."""
    from siamgui.core import scopes

    seen: dict[tuple, str | None] = {}
    per: dict[int, tuple[str, list[tuple[str, str | None]]]] = {}
    for sid, modality, model_hash, model_name in rows:
        entry = per.setdefault(int(sid), (modality, []))
        if model_hash is not None:
            if (model_hash, model_name) not in seen:
                seen[(model_hash, model_name)] = scopes.model_scope(model_hash, model_name)
            entry[1].append((model_hash, seen[(model_hash, model_name)]))
    scope: dict[int, str] = {}
    stray: list[tuple[int, str]] = []
    for sid, (modality, embeddings) in per.items():
        first = next((sc for _, sc in embeddings if sc), None)  # the enrolling model, when installed
        scope[sid] = first or scopes.fallback_scope(modality)
        stray += [(sid, h) for h, sc in embeddings if sc and sc != scope[sid]]
    return scope, stray


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
        self.path = file_path(path)
        self.recovered: Path | None = None  # where a damaged gallery file was kept
        self.read_only = ""  # a sentence saying why changes are refused; "" when writable
        self._cache: dict[tuple, tuple] = {}  # (model hash, scope) -> matrix
        self._data_version = None  # PRAGMA data_version when the cache was filled
        self._writes = 0  # this object's commits (its own do not move data_version)
        self._lock = threading.RLock()  # one connection, shared by the UI and worker threads
        self._db = self._open()

    # --- opening -------------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        why = _unwritable(self.path)
        if _not_sqlite(self.path):  # set aside before SQLite touches it (closing would delete a stale -wal)
            damage = "file is not a database"
            if self.path.suffix.lower() not in GALLERY_SUFFIXES:  # notes.txt named by mistake: never renamed
                raise GalleryError(f"{self.path} is not a gallery (not a database, and not named like one: "
                                   f"{', '.join(GALLERY_SUFFIXES)}); it was left as it is; give a gallery file "
                                   "or a folder to keep one in")
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
        nofollow = getattr(os, "O_NOFOLLOW", 0)
        try:  # create owner-only before SQLite touches it; never through a link
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY | nofollow, 0o600)
        except OSError as exc:
            raise GalleryError(f"the gallery {self.path} cannot be opened ({(exc.strerror or str(exc)).lower()})") from None
        try:
            os.fchmod(fd, 0o600)
        except (OSError, AttributeError):
            pass
        finally:
            os.close(fd)
        # a second process enrolling at the same moment waits for the lock instead of failing
        db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_S)
        try:
            self._check(db)
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            db.executescript(SCHEMA)
            self._migrate(db)
            db.executescript(INDEXES)
            db.executescript(SCOPED_VIEWS)
            db.executescript(ALL_EMBEDDINGS)
        except BaseException:
            db.close()
            raise
        return db

    def _migrate(self, db: sqlite3.Connection) -> None:
        """Give every stored sample the scope of the model that embedded it, in one transaction.

        A gallery from before scopes (or samples an older SiamGUI wrote since) has samples with no
        scope: each takes the scope of its enrolling model (core.scopes), embeddings a model of
        another scope made of it are dropped (they let a fruit model "recognise" faces), its file
        name is taken from where it was enrolled from, and each person takes the scope of their
        first sample. Attribution reads model cards, so it runs before the write lock is taken."""
        have_s, have_p = _columns(db, "samples"), _columns(db, "people")
        current = {"scope", "filename"} <= have_s and "scope" in have_p
        if current and not db.execute("SELECT 1 FROM samples WHERE scope IS NULL LIMIT 1").fetchone():
            return
        where = "WHERE s.scope IS NULL " if "scope" in have_s else ""
        scope, stray = _attribute(db.execute(
            "SELECT s.id, s.modality, e.model_hash, e.model_name FROM samples s LEFT JOIN embeddings e "
            f"ON e.sample_id = s.id {where}ORDER BY s.id, e.rowid"))
        from siamgui.core.scopes import MEDIUM_FALLBACK

        db.execute("BEGIN IMMEDIATE")
        try:
            have_s, have_p = _columns(db, "samples"), _columns(db, "people")  # another process may have done it
            for column in ("scope", "filename"):
                if column not in have_s:
                    db.execute(f"ALTER TABLE samples ADD COLUMN {column} TEXT")
            if "scope" not in have_p:
                db.execute("ALTER TABLE people ADD COLUMN scope TEXT")
            db.executemany("UPDATE samples SET scope = ? WHERE id = ? AND scope IS NULL",
                           [(sc, sid) for sid, sc in scope.items()])
            for medium, sc in MEDIUM_FALLBACK.items():  # written between the reading and the lock
                db.execute("UPDATE samples SET scope = ? WHERE scope IS NULL AND modality = ?", (sc, medium))
            db.execute("UPDATE samples SET scope = modality WHERE scope IS NULL")
            names = db.execute("SELECT id, COALESCE(source, '') FROM samples WHERE filename IS NULL").fetchall()
            db.executemany("UPDATE samples SET filename = ? WHERE id = ?", [(_filename(src), sid) for sid, src in names])
            db.executemany("DELETE FROM embeddings WHERE sample_id = ? AND model_hash = ?", stray)
            db.execute("UPDATE people SET scope = (SELECT s.scope FROM samples s WHERE s.person_id = people.id "
                       "ORDER BY s.id LIMIT 1) WHERE scope IS NULL")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def _session_scopes(self, db: sqlite3.Connection) -> None:
        """An old gallery opened read-only: scopes worked out for this session, the file untouched."""
        if {"scope", "filename"} <= _columns(db, "samples") and "scope" in _columns(db, "people"):
            db.executescript(SCOPED_VIEWS)
            return
        rows = db.execute("SELECT s.id, s.modality, e.model_hash, e.model_name FROM main.samples s LEFT JOIN "
                          "main.embeddings e ON e.sample_id = s.id ORDER BY s.id, e.rowid").fetchall()
        scope, _ = _attribute(rows)
        db.executescript(SESSION_SCOPES)
        sources = dict(db.execute("SELECT id, COALESCE(source, '') FROM main.samples").fetchall())
        db.executemany("INSERT OR REPLACE INTO temp.sample_meta VALUES (?, ?, ?)",
                       [(sid, sc, _filename(sources.get(sid, ""))) for sid, sc in scope.items()])
        first = db.execute("SELECT person_id, MIN(id) FROM main.samples GROUP BY person_id").fetchall()
        db.executemany("INSERT OR REPLACE INTO temp.person_meta VALUES (?, ?)",
                       [(pid, scope.get(sid)) for pid, sid in first])

    def _open_read_only(self, why: str) -> sqlite3.Connection:
        self.read_only = (f"the gallery {self.path} is read-only ({why}): it can be browsed and used to identify, "
                          "but not changed")
        db = self._connect_read_only(why) if self.path.exists() else None
        if db is None:  # nothing stored, and nowhere to create it: an empty gallery
            db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            db.executescript(SCHEMA)
        # embeddings a new model computes are kept for this session only, in memory
        db.execute("PRAGMA temp_store = MEMORY")
        self._session_scopes(db)
        db.executescript(SESSION_EMBEDDINGS)
        return db

    def _connect_read_only(self, why: str) -> sqlite3.Connection | None:
        """The file opened read-only (None when it holds no gallery tables yet)."""
        # mode=ro sees a crash's uncommitted WAL; immutable=1 needs no -shm file (read-only folder)
        for flags in ("mode=ro", "immutable=1"):
            db = sqlite3.connect(f"{self.path.absolute().as_uri()}?{flags}", uri=True, check_same_thread=False,
                                 isolation_level=None, timeout=BUSY_TIMEOUT_S)
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
        """Close the connection once no thread is using it: a job still reading when the window
        closes finishes first (closing under a running statement crashes SQLite's C library)."""
        with self._lock:
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
                self._writes += 1
            return result

    # --- reading -------------------------------------------------------------------------
    def people(self, scope: str | None = None) -> list[Person]:
        """Everyone (``scope`` None), or the people listed under models of ``scope``.

        Under a scope, ``samples`` counts that scope's samples only; a person with no samples at all
        is listed under the scope they were enrolled in (so samples can be added again)."""
        if scope is None:
            rows = self._query(
                "SELECT p.id, p.name, COUNT(s.id) FROM all_people p LEFT JOIN all_samples s ON s.person_id = p.id "
                "GROUP BY p.id ORDER BY p.name COLLATE NOCASE")
            return [Person(*r) for r in rows]
        rows = self._query(
            "SELECT p.id, p.name, COUNT(s.id) FROM all_people p LEFT JOIN all_samples s ON s.person_id = p.id "
            "AND s.scope = ? GROUP BY p.id HAVING COUNT(s.id) > 0 OR ((p.scope = ? OR p.scope IS NULL) AND NOT EXISTS "
            "(SELECT 1 FROM all_samples x WHERE x.person_id = p.id)) ORDER BY p.name COLLATE NOCASE", (scope, scope))
        return [Person(*r, scope=scope) for r in rows]

    def entries(self) -> list[Person]:
        """One row per person and scope they have samples in (a person with a face and a voice is two)."""
        rows = self._query(
            "SELECT p.id, p.name, COUNT(s.id), COALESCE(s.scope, p.scope, '') FROM all_people p "
            "LEFT JOIN all_samples s ON s.person_id = p.id GROUP BY p.id, s.scope ORDER BY p.name COLLATE NOCASE, 4")
        return [Person(*r) for r in rows]

    def scope_counts(self) -> dict[str, int]:
        """{scope: number of people with samples in it}: what a model of another scope is not shown."""
        rows = self._query("SELECT scope, COUNT(DISTINCT person_id) FROM all_samples GROUP BY scope")
        return {str(sc): int(n) for sc, n in rows if sc}

    def person(self, name: str, scope: str | None = None) -> Person | None:
        return next((p for p in self.people(scope) if p.name == name), None)

    def sample_counts(self, scope: str) -> dict[int, int]:
        """{person id: number of samples of this scope}, without reading any media."""
        rows = self._query("SELECT person_id, COUNT(*) FROM all_samples WHERE scope = ? GROUP BY person_id", (scope,))
        return {int(pid): int(n) for pid, n in rows}

    _SAMPLE = ("SELECT id, person_id, modality, suffix, media, COALESCE(source, ''), COALESCE(scope, ''), "
               "COALESCE(filename, '') FROM all_samples")

    def samples(self, person_id: int | None = None, scope: str | None = None) -> list[Sample]:
        where, params = [], []
        if person_id is not None:
            where.append("person_id = ?")
            params.append(person_id)
        if scope is not None:
            where.append("scope = ?")
            params.append(scope)
        q = self._SAMPLE + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
        return [Sample(*r) for r in self._query(q, tuple(params))]

    def missing_embeddings(self, model_hash: str, scope: str) -> list[Sample]:
        """Samples of this scope with no embedding from this model (to re-embed): a face model's
        samples are never offered to a fruit model."""
        rows = self._query(
            self._SAMPLE + " s WHERE s.scope = ? AND NOT EXISTS (SELECT 1 FROM all_embeddings e "
            "WHERE e.sample_id = s.id AND e.model_hash = ?) ORDER BY s.id", (scope, model_hash))
        return [Sample(*r) for r in rows]

    def missing_count(self, model_hash: str, scope: str) -> int:
        """How many samples :meth:`missing_embeddings` would return, without reading their media."""
        return int(self._query(
            "SELECT COUNT(*) FROM all_samples s WHERE s.scope = ? AND NOT EXISTS (SELECT 1 FROM all_embeddings e "
            "WHERE e.sample_id = s.id AND e.model_hash = ?)", (scope, model_hash))[0][0])

    def embeddings(self, sample_ids: Sequence[int]) -> dict[int, list[tuple[str, str, bytes]]]:
        """{sample id: [(model hash, model name, raw float32 vector)]} (for export)."""
        out: dict[int, list[tuple[str, str, bytes]]] = {}
        ids = list(sample_ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            rows = self._query(f"SELECT sample_id, model_hash, COALESCE(model_name, ''), vector FROM main.embeddings "
                               f"WHERE sample_id IN ({','.join('?' * len(chunk))}) ORDER BY sample_id, rowid",
                               tuple(chunk))
            for sid, h, n, v in rows:
                out.setdefault(int(sid), []).append((h, n, bytes(v)))
        return out

    def matrix(self, model_hash: str, scope: str | None = None) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
        """(sample ids, person ids, names by row, unit vectors) of every embedding from this model
        (of samples of ``scope`` when given), as one contiguous float32 matrix.

        Cached per (model, scope); the cache is dropped on every change this object makes and on
        every commit by another connection (PRAGMA data_version), so a second window or a CLI
        enrolment is seen at the next query."""
        with self._lock:
            self._drop_stale_cache()
            return self._matrix(model_hash, scope)

    def version(self) -> tuple[int, int]:
        """A value that changes whenever anyone commits a change: this object, another connection or
        another process (a second window polls it to refresh its list)."""
        with self._lock:
            try:
                return int(self._db.execute("PRAGMA data_version").fetchone()[0]), self._writes
            except sqlite3.DatabaseError as exc:
                raise GalleryError(self._explain(exc)) from None

    def _drop_stale_cache(self) -> None:
        try:
            version = self._db.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise GalleryError(self._explain(exc)) from None
        if version != self._data_version:
            self._cache.clear()
            self._data_version = version

    def _matrix(self, model_hash: str, scope: str | None) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
        key = (model_hash, scope)
        if key not in self._cache:
            rows = self._query(
                "SELECT e.sample_id, s.person_id, p.name, e.vector FROM all_embeddings e "
                "JOIN all_samples s ON s.id = e.sample_id JOIN all_people p ON p.id = s.person_id "
                "WHERE e.model_hash = ?" + (" AND s.scope = ?" if scope is not None else "") + " ORDER BY e.sample_id",
                (model_hash,) if scope is None else (model_hash, scope))
            vecs = self._stack([r[3] for r in rows], rows) if rows else np.zeros((0, 0), np.float32)
            self._cache[key] = (np.array([r[0] for r in rows], np.int64), np.array([r[1] for r in rows], np.int64),
                                [r[2] for r in rows], vecs)
        return self._cache[key]

    def _stack(self, blobs: list[bytes], rows: list[tuple]) -> np.ndarray:
        """One contiguous (N, D) float32 matrix of unit rows; a damaged blob is one sentence."""
        sizes = [len(b) for b in blobs]
        size = max(set(sizes), key=sizes.count)  # the usual length; a lone odd one is the damaged one
        for blob, row in zip(blobs, rows):
            if len(blob) != size or len(blob) % 4 or not blob:
                what = (f"{len(blob)} bytes, others have {size}" if len(blob) != size
                        else f"{len(blob)} bytes, not a whole number of 4-byte numbers")
                raise GalleryError(f"the gallery {self.path} holds a damaged embedding of {row[2]} (sample {row[0]}: "
                                   f"{what}); remove that sample or delete {row[2]} and enrol them again")
        vecs = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), size // 4)
        if not np.isfinite(vecs).all():
            bad = int(np.nonzero(~np.isfinite(vecs).all(axis=1))[0][0])
            raise GalleryError(f"the gallery {self.path} holds a damaged embedding of {rows[bad][2]} (sample "
                               f"{rows[bad][0]}: not a number); remove that sample or enrol them again")
        # unit length once here, so a query is one matrix-vector product
        return np.ascontiguousarray(l2_normalise(vecs), dtype=np.float32)

    # --- identification ------------------------------------------------------------------
    def identify(self, query: np.ndarray, model_hash: str, metric: str, threshold: float, top: int = 5,
                 scope: str | None = None) -> Identification:
        """Nearest enrolled people to ``query`` (best sample per person), best first; only people
        of ``scope`` when given."""
        if top < 1:
            raise GalleryError(f"top must be 1 or more, not {top}")
        ids, pids, names, vecs = self.matrix(model_hash, scope)
        if len(ids) == 0:
            return Identification([], threshold)
        q = np.asarray(query, np.float32).reshape(-1)
        if q.shape[0] != vecs.shape[1]:
            raise GalleryError(f"the query has {q.shape[0]} numbers but the gallery's embeddings from this model "
                               f"have {vecs.shape[1]}")
        q = q / (np.linalg.norm(q) + 1e-12)
        sims = _similarities(vecs, q)  # both metrics fall as the cosine rises: rank by it, convert the few kept
        # a person has at most MAX_SAMPLES rows, so the top people are among the nearest top x MAX_SAMPLES rows
        k = top * MAX_SAMPLES
        if k < len(sims):
            near = np.argpartition(-sims, k - 1)[:k]
            out = self._best_per_person(near[np.argsort(-sims[near], kind="stable")], sims, metric, ids, pids,
                                        names, top)
            if len(out) >= top:
                return Identification(out, threshold)
        out = self._best_per_person(np.argsort(-sims, kind="stable"), sims, metric, ids, pids, names, top)
        return Identification(out, threshold)

    @staticmethod
    def _best_per_person(order, sims, metric, ids, pids, names, top: int) -> list[Match]:
        seen: set[int] = set()
        out: list[Match] = []
        for i in order:
            if pids[i] in seen:
                continue
            seen.add(int(pids[i]))
            out.append(Match(names[i], int(pids[i]), float(from_cosine(sims[i], metric)), int(ids[i])))
            if len(out) >= top:
                break
        return out

    # --- writing -------------------------------------------------------------------------
    def enrol(self, name: str, samples: Sequence[tuple], vectors: np.ndarray, model_hash: str, model_name: str,
              scope: str | None = None) -> int:
        """Add a person (or samples to an existing one) in one transaction.

        samples: (modality, suffix, media, source) or (..., filename). ``scope``: the gallery scope
        of the model (``encoder.modality.gallery_scope``); when not given it is worked out from the
        model (core.scopes). A person has at most MAX_SAMPLES samples per scope."""
        name = clean_name(name)
        if not samples:
            raise GalleryError("enrol at least one sample")
        if len(samples) != len(vectors):
            raise ValueError("one vector per sample")
        vectors = np.asarray(vectors, dtype=np.float32)
        if scope is None:
            from siamgui.core import scopes

            scope = scopes.model_scope(model_hash, model_name) or scopes.fallback_scope(samples[0][0])
        rows = [(*s[:4], s[4] if len(s) > 4 else _filename(s[3] or "")) for s in samples]

        def write(cur):
            pid = self._person_row(cur, name, scope)
            have = cur.execute("SELECT COUNT(*) FROM samples WHERE person_id = ? AND scope = ?", (pid, scope)).fetchone()[0]
            if have + len(rows) > MAX_SAMPLES:
                raise GalleryError(f"{name} would have {have + len(rows)} samples; at most {MAX_SAMPLES}")
            for (modality, suffix, media, source, filename), vec in zip(rows, vectors):
                sid = self._insert_sample(cur, pid, scope, modality, suffix, media, source, filename)
                cur.execute("INSERT INTO embeddings(sample_id, model_hash, model_name, vector) VALUES (?, ?, ?, ?)",
                            (sid, model_hash, model_name, vec.tobytes()))
            return pid

        return self._write(write)

    @staticmethod
    def _person_row(cur, name: str, scope: str) -> int:
        row = cur.execute("SELECT id FROM people WHERE name = ?", (name,)).fetchone()
        if row:
            return int(row[0])
        return int(cur.execute("INSERT INTO people(name, created, scope) VALUES (?, ?, ?)",
                               (name, time.time(), scope)).lastrowid)

    @staticmethod
    def _insert_sample(cur, pid: int, scope: str, modality: str, suffix: str, media: bytes, source: str,
                       filename: str) -> int:
        return int(cur.execute(
            "INSERT INTO samples(person_id, modality, suffix, media, source, created, scope, filename) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (pid, modality, suffix, media, source, time.time(), scope, filename)
        ).lastrowid)

    def write(self, fn):
        """Run ``fn(cursor)`` in one transaction (all or nothing), for a task that writes many rows at
        once (an import). ``fn`` may use ``person_row`` and ``insert_sample`` below."""
        return self._write(fn)

    person_row = _person_row
    insert_sample = _insert_sample

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
        new_name = clean_name(new_name)

        def write(cur):
            if cur.execute("SELECT 1 FROM people WHERE name = ? AND id != ?", (new_name, person_id)).fetchone():
                raise GalleryError(f"someone is already called {new_name}")
            cur.execute("UPDATE people SET name = ? WHERE id = ?", (new_name, person_id))

        self._write(write)

    def delete_sample(self, sample_id: int) -> None:
        self._write(lambda cur: cur.execute("DELETE FROM samples WHERE id = ?", (sample_id,)))

    def delete_person(self, person_id: int, scope: str | None = None) -> None:
        """Forget a person; with ``scope``, only their samples of that scope (and the person when
        nothing else is left), so deleting a face never deletes the same name's voice."""
        if scope is None:
            self._write(lambda cur: cur.execute("DELETE FROM people WHERE id = ?", (person_id,)))
            return

        def write(cur):
            cur.execute("DELETE FROM samples WHERE person_id = ? AND scope = ?", (person_id, scope))
            cur.execute("DELETE FROM people WHERE id = ? AND NOT EXISTS (SELECT 1 FROM samples WHERE person_id = ?)",
                        (person_id, person_id))

        self._write(write)

    def delete_all(self, scope: str | None = None) -> int:
        """Forget everyone (or everyone listed under ``scope``, leaving other scopes alone), and
        overwrite the freed pages (VACUUM) so nothing lingers on disk. Returns how many people
        were removed from the list."""
        listed = len(self.people(scope))

        def write(cur):
            if scope is None:
                cur.execute("DELETE FROM people")
                return
            cur.execute("DELETE FROM samples WHERE scope = ?", (scope,))
            cur.execute("DELETE FROM people WHERE (scope = ? OR scope IS NULL) AND NOT EXISTS "
                        "(SELECT 1 FROM samples WHERE person_id = people.id)", (scope,))

        self._write(write)
        with self._lock:
            try:
                self._db.execute("VACUUM")
            except sqlite3.DatabaseError as exc:
                raise GalleryError(self._explain(exc)) from None
        return listed
