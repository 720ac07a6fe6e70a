"""Carry a gallery: export it to a zip and import one back, safely.

Export writes one folder per person, named safely from the person's name (never a path: no
``/``, ``\\``, ``..``, control characters or reserved device names), with each sample under its
original file name, and a manifest, ``people.json``, holding the exact names, the samples and
their original names, the input kind (gallery scope), and every embedding with the name and
sha256 of the model that made it, so importing under the same model needs no re-embedding. The
zip is readable by its owner only, and photos leave without their EXIF (tasks.metadata).

Import checks the whole archive before writing anything: entries with absolute paths or ``..``,
links, too many entries or too many uncompressed bytes (zip bombs), files the manifest does not
name or names that are missing, and embeddings that are not numbers are each refused in one
sentence. Then everything is written in one transaction: a crash (even kill -9) leaves the
gallery as it was. A person already enrolled in that kind is merged (up to MAX_SAMPLES), renamed
or skipped, as asked, and the summary says which.

No Qt here: the CLI (``siamgui gallery ...``) and the Gallery view both call these functions.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import stat
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from siamgui.core.gallery import MAX_SAMPLES, Gallery, GalleryError, clean_name
from siamgui.media.medium import MEDIA
from siamgui.tasks.metadata import strip_metadata

MANIFEST = "people.json"
FORMAT = "siamgui-gallery"
VERSION = 2
MAX_ENTRIES = 20_000  # 4,000 people with 5 samples each, and the manifest
MAX_ENTRY_BYTES = 64 * 2**20  # one sample
MAX_TOTAL_BYTES = 1 * 2**30  # everything, uncompressed
MAX_MANIFEST_BYTES = 64 * 2**20
MAX_NAME = 200  # characters of a person's name
CONFLICTS = ("merge", "rename", "skip")
RESERVED = {"CON", "PRN", "AUX", "NUL", "CLOCK$", "CONIN$", "CONOUT$",
            *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
SCOPE_WORD = re.compile(r"^[a-z][a-z0-9_]{0,31}$")

Progress = Callable[[int, int], None]


class ArchiveError(GalleryError):
    """An archive that cannot be imported (one sentence for the user); nothing was written."""


# --- names ---------------------------------------------------------------------------------
def safe_name(name: str, fallback: str = "person", limit: int = 80) -> str:
    """A file or folder name made from ``name`` that can never be a path or a device.

    Separators, control and reserved characters become ``_``; leading and trailing dots and
    spaces go (so ``..`` cannot climb); Windows device names (CON, NUL, COM1, ...) get a leading
    ``_``; the result is at most ``limit`` characters, keeping the file ending."""
    text = re.sub(r"\.{2,}", "_", UNSAFE.sub("_", unicodedata.normalize("NFC", str(name))))
    text = text.strip(" .")
    stem, dot, ext = text.rpartition(".")
    if not dot or not stem or len(ext) > 10:
        stem, ext = text, ""
    if len(text) > limit:
        keep = limit - (len(ext) + 1 if ext else 0)
        text = stem[:keep].rstrip(" .") + (f".{ext}" if ext else "")
    if not text.strip(" ._"):
        text = fallback
    if text.split(".")[0].upper() in RESERVED:
        text = "_" + text
    return text


def unique(name: str, taken: set[str], ending: bool = True) -> str:
    """``name``, or ``name (2)``, ``name (3)``, ... (before its file ending when ``ending``): the
    first not in ``taken`` (compared without case, as on Windows and macOS), added to ``taken``."""
    stem, dot, ext = name.rpartition(".")
    if not ending or not dot or not stem or len(ext) > 10:
        stem, ext = name, ""
    candidate, n = name, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{stem} ({n})" + (f".{ext}" if ext else "")
    taken.add(candidate.casefold())
    return candidate


# --- export --------------------------------------------------------------------------------
@dataclass
class ExportSummary:
    path: Path
    people: int
    samples: int
    cleaned: int  # photos whose metadata was removed
    kept: int  # files exported as enrolled (audio, WebP, TIFF, ...), with whatever metadata they carry

    def sentence(self) -> str:
        kept = (f"; {self.kept} file(s) (audio, WebP, TIFF…) are exported as enrolled, with any metadata they "
                "carry" if self.kept else "")
        return (f"exported {self.people} {'person' if self.people == 1 else 'people'} with {self.samples} "
                f"sample(s) to {self.path} (readable by you only); metadata removed from {self.cleaned} "
                f"photo(s){kept}")


def export_gallery(gallery: Gallery, target: str | Path, scope: str | None = None,
                   progress: Progress | None = None) -> ExportSummary:
    """Write the gallery (or only the people of ``scope``) to a zip; see the module docstring.

    The zip is written beside ``target`` under a temporary name, owner-only, and renamed into
    place when complete, so an interrupted export never leaves half a zip under the name asked."""
    target = Path(target).expanduser()
    if target.is_dir():
        raise GalleryError(f"{target} is a folder; give the zip file to write, e.g. {target / 'gallery.zip'}")
    if not target.parent.is_dir():
        raise GalleryError(f"cannot write {target}: the folder {target.parent} does not exist")
    if target.is_file() and Path(gallery.path).is_file() and os.path.samefile(target, gallery.path):
        raise GalleryError(f"{target} is the gallery itself; export to another file (it would replace everyone "
                           "enrolled with a zip)")
    entries = [p for p in gallery.entries() if scope is None or p.scope == scope]
    total = sum(p.samples for p in entries)
    folders: set[str] = {MANIFEST.casefold()}
    manifest: dict = {"format": FORMAT, "version": VERSION, "people": []}
    done = cleaned = kept = 0
    fd, tmp = tempfile.mkstemp(prefix=".siamgui-export-", suffix=".zip", dir=target.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as z:
            for person in entries:
                folder = unique(safe_name(person.name), folders, ending=False)
                files: set[str] = set()
                samples = gallery.samples(person.id, person.scope or None) if person.samples else []
                vectors = gallery.embeddings([s.id for s in samples])
                listed = []
                for n, s in enumerate(samples, 1):
                    original = s.filename or f"{s.source or 'sample'}-{n}{s.suffix}"
                    fname = unique(safe_name(original, fallback=f"sample-{n}{s.suffix}"), files)
                    media, was_cleaned = strip_metadata(s.suffix, s.media)
                    cleaned += was_cleaned
                    kept += not was_cleaned
                    arc = f"{folder}/{fname}"
                    z.writestr(_entry(arc), media)
                    listed.append({"file": arc, "original": s.filename, "medium": s.modality,
                                   "sha256": hashlib.sha256(media).hexdigest(), "bytes": len(media),
                                   "metadata_removed": bool(was_cleaned),
                                   "embeddings": [{"model": name, "model_hash": h,
                                                   "vector": base64.b64encode(v).decode("ascii")}
                                                  for h, name, v in vectors.get(s.id, [])]})
                    done += 1
                    if progress:
                        progress(done, total)
                manifest["people"].append({"name": person.name, "kind": person.scope, "folder": folder,
                                           "samples": listed})
            z.writestr(_entry(MANIFEST), json.dumps(manifest, indent=1, ensure_ascii=False))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return ExportSummary(target, len(entries), done, cleaned, kept)


def _entry(name: str) -> zipfile.ZipInfo:
    """A zip entry readable and writable by its owner only when unpacked (a regular file)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = (stat.S_IFREG | 0o600) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


# --- reading an archive (no writes) ------------------------------------------------------------
@dataclass
class PlannedSample:
    """A checked sample: its bytes stay in the zip (read again, and compared, when written), so an
    import holds one sample in memory at a time, never the whole archive."""

    medium: str
    suffix: str
    entry: str  # its name in the zip
    digest: bytes  # sha256 of its bytes, as read while checking
    original: str
    embeddings: list[tuple[str, str, bytes]]  # (model hash, model name, float32 bytes)


@dataclass
class PlannedPerson:
    name: str
    scope: str
    samples: list[PlannedSample] = field(default_factory=list)


def _refuse(path: Path, why: str) -> ArchiveError:
    return ArchiveError(f"{path.name} was not imported: {why}; nothing was changed")


def _bad_entry_name(name: str) -> str:
    """Why an entry name is unsafe ("" when it is fine)."""
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return f"it holds an entry with an absolute path ({name!r})"
    if any(part == ".." for part in re.split(r"[/\\]", name)):
        return f"it holds an entry that climbs out of its folder ({name!r})"
    if "\\" in name or re.search(r"[\x00-\x1f\x7f]", name):
        return f"it holds an entry with a backslash or a control character in its name ({name!r})"
    return ""


def read_archive(path: str | Path) -> list[PlannedPerson]:
    """Every person and sample of an export zip, fully checked; ArchiveError (one sentence) if not.

    Nothing is written: the sizes in the zip's directory are checked first, then each entry is
    read with a bound (a lying directory cannot make it read more) and compared with the manifest."""
    path = Path(path).expanduser()
    if path.is_symlink() or not path.is_file():
        raise ArchiveError(f"{path} is not a zip file" + (" (it is a link)" if path.is_symlink() else ""))
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refuse(path, f"it is not a readable zip file ({exc})") from None
    with z:
        infos = z.infolist()
        if len(infos) > MAX_ENTRIES:
            raise _refuse(path, f"it holds {len(infos):,} entries, more than the {MAX_ENTRIES:,} a gallery export can")
        total, names = 0, {}
        for info in infos:
            why = _bad_entry_name(info.filename)
            if why:
                raise _refuse(path, why)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise _refuse(path, f"it holds a link ({info.filename!r}), which is never followed")
            if info.is_dir():
                continue
            if stat.S_IFMT(mode) and not stat.S_ISREG(mode):  # a device, a fifo (0: written without a type)
                raise _refuse(path, f"it holds {info.filename!r}, which is not a regular file")
            if info.flag_bits & 0x1:
                raise _refuse(path, "it is encrypted")
            if info.filename in names:
                raise _refuse(path, f"it holds {info.filename!r} twice")
            if info.file_size > (MAX_MANIFEST_BYTES if info.filename == MANIFEST else MAX_ENTRY_BYTES):
                raise _refuse(path, f"{info.filename!r} would unpack to {info.file_size:,} bytes, more than a "
                                    + ("manifest" if info.filename == MANIFEST else "sample") + " can be")
            total += info.file_size
            names[info.filename] = info
        if total > MAX_TOTAL_BYTES:
            raise _refuse(path, f"it would unpack to {total / 2**30:.1f} GiB, more than the "
                                f"{MAX_TOTAL_BYTES / 2**30:.0f} GiB a gallery export can")
        if MANIFEST not in names:
            raise _refuse(path, f"it has no {MANIFEST}, so it is not a SiamGUI gallery export")
        manifest = _json(path, _read(z, names[MANIFEST], path))
        used: set[str] = set()
        people = _plan(path, manifest, z, names, used)
        unused = set(names) - {MANIFEST} - used
        if unused:
            raise _refuse(path, f"{MANIFEST} does not match the files: {sorted(unused)[0]!r} is not listed in it")
        return people


def _read(z: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> bytes:
    """An entry's bytes, never more than its directory says (a bomb stops at the bound)."""
    try:
        with z.open(info) as f:
            data = f.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise _refuse(path, f"{info.filename!r} cannot be read ({exc})") from None
    if len(data) != info.file_size:
        raise _refuse(path, f"{info.filename!r} is not the size its directory says")
    return data


def _json(path: Path, data: bytes) -> dict:
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _refuse(path, f"{MANIFEST} is not valid JSON ({exc})") from None
    except RecursionError:  # "[[[[..." nested past Python's stack
        raise _refuse(path, f"{MANIFEST} is nested too deeply to be a gallery manifest") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not isinstance(manifest.get("people"), list):
        raise _refuse(path, f"{MANIFEST} is not a SiamGUI gallery manifest")
    if not isinstance(manifest.get("version"), int) or manifest["version"] > VERSION:
        raise _refuse(path, f"{MANIFEST} is of version {manifest.get('version')!r}; this SiamGUI reads up to {VERSION}")
    return manifest


def _plan(path: Path, manifest: dict, z: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo],
          used: set[str]) -> list[PlannedPerson]:
    seen: set[tuple[str, str]] = set()
    dims: dict[str, int] = {}
    people = []
    for i, entry in enumerate(manifest["people"]):
        if not isinstance(entry, dict):
            raise _refuse(path, f"{MANIFEST}: person {i + 1} is not an object")
        name, scope, samples = entry.get("name"), entry.get("kind"), entry.get("samples")
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            raise _refuse(path, f"{MANIFEST}: person {i + 1} has no usable name")
        try:
            clean_name(name)
        except GalleryError:
            raise _refuse(path, f"{MANIFEST}: the name {name!r} holds a line break or a control character") from None
        if not isinstance(scope, str) or not SCOPE_WORD.match(scope):
            raise _refuse(path, f"{MANIFEST}: {name!r} has no usable kind")
        if (name.strip(), scope) in seen:
            raise _refuse(path, f"{MANIFEST}: {name!r} is listed twice")
        seen.add((name.strip(), scope))
        if not isinstance(samples, list) or len(samples) > MAX_SAMPLES:
            raise _refuse(path, f"{MANIFEST}: {name!r} has more than {MAX_SAMPLES} samples or no list of them")
        person = PlannedPerson(name.strip(), scope)
        for s in samples:
            person.samples.append(_sample(path, s, name, z, names, dims, used))
        people.append(person)
    return people


def _sample(path: Path, s, person: str, z, names, dims: dict[str, int], used: set[str]) -> PlannedSample:
    if not isinstance(s, dict) or not isinstance(s.get("file"), str):
        raise _refuse(path, f"{MANIFEST}: a sample of {person!r} names no file")
    arc = s["file"]
    info = names.get(arc)
    if info is None:
        raise _refuse(path, f"{MANIFEST} does not match the files: {arc!r} is missing")
    if arc in used:
        raise _refuse(path, f"{MANIFEST} lists {arc!r} twice")
    used.add(arc)
    medium = MEDIA.get(s.get("medium"))  # type: ignore[arg-type]
    suffix = Path(arc).suffix.lower()
    if medium is None or suffix not in medium.suffixes:
        raise _refuse(path, f"{arc!r} is not a {s.get('medium')!r} file SiamGUI reads")
    digest = hashlib.sha256(_read(z, info, path))
    if "sha256" in s and s["sha256"] != digest.hexdigest():
        raise _refuse(path, f"{arc!r} is not the file {MANIFEST} describes (its sha256 differs)")
    original = s.get("original") or ""
    if not isinstance(original, str) or len(original) > 1000:
        raise _refuse(path, f"{MANIFEST}: the original name of {arc!r} is not text")
    embeddings = []
    for e in s.get("embeddings") or []:
        try:
            h, model, vec = str(e["model_hash"]), str(e.get("model") or ""), base64.b64decode(e["vector"], validate=True)
        except (KeyError, TypeError, ValueError):
            raise _refuse(path, f"{MANIFEST}: an embedding of {arc!r} is not readable") from None
        if not re.fullmatch(r"[0-9a-zA-Z_.-]{1,128}", h) or not vec or len(vec) % 4 or len(vec) > 1 << 20:
            raise _refuse(path, f"{MANIFEST}: an embedding of {arc!r} is damaged")
        if not np.isfinite(np.frombuffer(vec, np.float32)).all():
            raise _refuse(path, f"{MANIFEST}: an embedding of {arc!r} is not a number")
        if dims.setdefault(h, len(vec)) != len(vec):
            raise _refuse(path, f"{MANIFEST}: embeddings of the model {model or h[:12]} differ in length")
        embeddings.append((h, model, vec))
    return PlannedSample(medium.name, suffix, arc, digest.digest(), original, embeddings)


# --- import --------------------------------------------------------------------------------
@dataclass
class ImportSummary:
    added: list[str] = field(default_factory=list)  # new people
    merged: list[str] = field(default_factory=list)  # existing people given samples
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (name in the zip, name given)
    skipped: list[str] = field(default_factory=list)
    samples: int = 0
    left_out: int = 0  # samples over MAX_SAMPLES or already there
    scopes: set[str] = field(default_factory=set)

    def sentence(self) -> str:
        parts = [f"imported {self.samples} sample(s): {len(self.added)} new "
                 f"{'person' if len(self.added) == 1 else 'people'}"]
        if self.merged:
            parts.append(f"merged into {_listing(self.merged)}")
        if self.renamed:
            parts.append("renamed " + _listing([f"{a} to {b}" for a, b in self.renamed]))
        if self.skipped:
            parts.append(f"skipped {_listing(self.skipped)} (already enrolled)")
        if self.left_out:
            parts.append(f"{self.left_out} sample(s) left out (already there, or over {MAX_SAMPLES} a person)")
        if self.scopes:
            parts.append(f"kind: {', '.join(sorted(self.scopes))}")
        return "; ".join(parts)


def _listing(items: list[str], most: int = 5) -> str:
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


def import_gallery(gallery: Gallery, source: str | Path, on_conflict: str = "merge",
                   progress: Progress | None = None, checked: list[PlannedPerson] | None = None) -> ImportSummary:
    """Add an export zip's people to the gallery in one transaction, each under its own kind.

    ``on_conflict``: what to do with a person already enrolled in that kind under the same name:
    "merge" (add the samples not already there, up to MAX_SAMPLES), "rename" (import them as
    "Name (2)") or "skip".
    ``checked``: what :func:`read_archive` already found in ``source`` (so a caller can refuse a
    hostile zip before it even opens, and so creates, the gallery file)."""
    if on_conflict not in CONFLICTS:
        raise GalleryError(f"on a conflict SiamGUI can {', '.join(CONFLICTS)}, not {on_conflict!r}")
    if gallery.read_only:
        raise GalleryError(gallery.read_only)
    people = read_archive(source) if checked is None else checked  # everything checked before the first write
    total = sum(len(p.samples) for p in people)
    summary = ImportSummary()

    def write(cur):
        done = 0
        with zipfile.ZipFile(Path(source).expanduser()) as z:
            for person in people:
                name = _resolve(cur, person, on_conflict, summary)
                if name is not None:
                    summary.scopes.add(person.scope)
                    _add(cur, gallery, z, Path(source), name, person, summary)
                done += len(person.samples)
                if progress:
                    progress(done, total)

    try:
        gallery.write(write)
    except (OSError, zipfile.BadZipFile) as exc:  # the zip went away or changed between the check and now
        raise _refuse(Path(source), f"it could not be read again ({exc})") from None
    return summary


def _listed(cur, pid: int, scope: str) -> bool:
    """Whether person ``pid`` is listed under ``scope`` (has samples there, or none anywhere and was
    enrolled there)."""
    if cur.execute("SELECT 1 FROM samples WHERE person_id = ? AND scope = ?", (pid, scope)).fetchone():
        return True
    return not cur.execute("SELECT 1 FROM samples WHERE person_id = ?", (pid,)).fetchone() and bool(
        cur.execute("SELECT 1 FROM people WHERE id = ? AND (scope = ? OR scope IS NULL)", (pid, scope)).fetchone())


def _resolve(cur, person: PlannedPerson, on_conflict: str, summary: ImportSummary) -> str | None:
    """The name to import ``person`` under, or None to skip them."""
    row = cur.execute("SELECT id FROM people WHERE name = ?", (person.name,)).fetchone()
    if row is None or not _listed(cur, row[0], person.scope):
        summary.added.append(person.name)  # new, or the same name in another kind: not a conflict
        return person.name
    if on_conflict == "skip":
        summary.skipped.append(person.name)
        summary.left_out += len(person.samples)
        return None
    if on_conflict == "merge":
        summary.merged.append(person.name)
        return person.name
    taken = {r[0].casefold() for r in cur.execute("SELECT name FROM people")}
    new = unique(person.name, taken, ending=False)
    summary.renamed.append((person.name, new))
    return new


def _add(cur, gallery: Gallery, z: zipfile.ZipFile, path: Path, name: str, person: PlannedPerson,
         summary: ImportSummary) -> None:
    pid = gallery.person_row(cur, name, person.scope)
    have = {hashlib.sha256(bytes(m)).digest() for (m,) in cur.execute(
        "SELECT media FROM samples WHERE person_id = ? AND scope = ?", (pid, person.scope))}
    room = MAX_SAMPLES - len(have)
    for s in person.samples:
        digest = s.digest
        if digest in have or room <= 0:
            summary.left_out += 1
            continue
        have.add(digest)
        room -= 1
        media = _read(z, z.getinfo(s.entry), path)
        if hashlib.sha256(media).digest() != digest:
            raise _refuse(path, f"{s.entry!r} changed while it was being imported")
        sid = gallery.insert_sample(cur, pid, person.scope, s.medium, s.suffix, media,
                                    f"imported: {s.original or s.suffix}", s.original)
        for h, model, vec in s.embeddings:
            row = cur.execute("SELECT length(vector) FROM embeddings WHERE model_hash = ? LIMIT 1", (h,)).fetchone()
            if row and row[0] != len(vec):
                raise ArchiveError(f"the embeddings of {model or h[:12]} in the zip have {len(vec) // 4} numbers, "
                                   f"the gallery's have {row[0] // 4}; nothing was changed")
            cur.execute("INSERT OR REPLACE INTO embeddings(sample_id, model_hash, model_name, vector) "
                        "VALUES (?, ?, ?, ?)", (sid, h, model, vec))
        summary.samples += 1
