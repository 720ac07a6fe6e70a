"""The enrolment store: people, their 1-5 samples, and embeddings per model (SQLite).

Samples keep their original media (file bytes), so switching models re-embeds from what was
enrolled; embeddings are tagged with the sha256 of the model that made them, so embeddings of
two models are never compared. Every write is one transaction (WAL journal): a crash or a full
disk mid-write leaves the last committed state. The file holds biometric data: it is created
readable and writable by its owner only.
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

    return Path(user_data_dir("siamgui", appauthor=False)) / "gallery.sqlite3"


class Gallery:
    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():  # create owner-only before SQLite touches it
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        try:
            os.chmod(self.path, 0o600)
        except OSError:
            pass
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")
        self._db.executescript(SCHEMA)
        self._cache: dict[str, tuple] = {}
        self._lock = threading.RLock()  # one connection, shared by the UI and worker threads

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "Gallery":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- transactions --------------------------------------------------------------------
    def _write(self, fn):
        """Run fn(cursor) in one IMMEDIATE transaction; all or nothing."""
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                result = fn(cur)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
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

    def samples(self, person_id: int | None = None) -> list[Sample]:
        q = "SELECT id, person_id, modality, suffix, media, COALESCE(source, '') FROM samples"
        rows = self._query(q + (" WHERE person_id = ?" if person_id is not None else "") + " ORDER BY id",
                                () if person_id is None else (person_id,))
        return [Sample(*r) for r in rows]

    def missing_embeddings(self, model_hash: str, modality: str) -> list[Sample]:
        """Samples of this modality with no embedding from this model (to re-embed)."""
        rows = self._query(
            "SELECT s.id, s.person_id, s.modality, s.suffix, s.media, COALESCE(s.source, '') FROM samples s "
            "WHERE s.modality = ? AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.sample_id = s.id "
            "AND e.model_hash = ?) ORDER BY s.id", (modality, model_hash))
        return [Sample(*r) for r in rows]

    def matrix(self, model_hash: str) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
        """(sample ids, person ids, names by row, vectors) of every embedding from this model; cached."""
        with self._lock:
            return self._matrix(model_hash)

    def _matrix(self, model_hash: str) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
        if model_hash not in self._cache:
            rows = self._query(
                "SELECT e.sample_id, s.person_id, p.name, e.vector FROM embeddings e "
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
        rows = [(sid, model_hash, model_name, np.asarray(v, np.float32).tobytes()) for sid, v in items]
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
            self._db.execute("VACUUM")

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
