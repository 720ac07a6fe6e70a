"""``siamgui gallery list|export|import|rename|remove``: look after a gallery from a script.

Each takes ``--gallery PATH`` like ``enrol`` and ``identify``. ``--model NAME`` narrows to the
people of that model's kind (gallery scope) and reads only the model's card, never running it.
Errors are one sentence and exit 2 (the CLI's translator); no Qt is imported.
"""

from __future__ import annotations

import json
import os
import sys

from siamgui.errors import UserError


def add_parser(subparsers) -> None:
    """Register ``gallery`` and its sub-commands on the CLI's sub-parsers."""
    g = subparsers.add_parser("gallery", help="list, export, import, rename or remove enrolled people",
                              description="Look after the gallery of enrolled people. People are kept per input "
                                          "kind: face models share theirs, a fruit or voice model never sees them.")
    verbs = g.add_subparsers(dest="gallery_command", metavar="{list,export,import,rename,remove}")
    verbs.required = True

    def gallery_opt(sp):
        sp.add_argument("--gallery", metavar="PATH", help="gallery file, or a folder holding gallery.sqlite3 "
                        "(default: $SIAMGUI_GALLERY or the user's data folder)")

    ls = verbs.add_parser("list", help="everyone enrolled, with their sample count and kind")
    ls.add_argument("--json", action="store_true", help='print {"people": [{"name", "samples", "kind"}]}')
    ls.add_argument("--model", metavar="NAME", help="only the people this model's kind lists")
    gallery_opt(ls)
    ls.set_defaults(func=cmd_list)

    ex = verbs.add_parser("export", help="a zip: one folder per person, original file names, people.json")
    ex.add_argument("out", metavar="OUT.zip")
    ex.add_argument("--model", metavar="NAME", help="only the people of this model's kind")
    gallery_opt(ex)
    ex.set_defaults(func=cmd_export)

    im = verbs.add_parser("import", help="add the people of an exported zip (checked before anything is written)")
    im.add_argument("source", metavar="IN.zip")
    im.add_argument("--on-conflict", choices=("merge", "rename", "skip"), default="merge",
                    help="a person already enrolled in that kind: add the new samples (up to 5), import them "
                         "as 'Name (2)', or leave them out (default: %(default)s)")
    gallery_opt(im)
    im.set_defaults(func=cmd_import)

    rn = verbs.add_parser("rename", help="give a person another name")
    rn.add_argument("old", metavar="OLD")
    rn.add_argument("new", metavar="NEW")
    gallery_opt(rn)
    rn.set_defaults(func=cmd_rename)

    rm = verbs.add_parser("remove", help="forget a person and their samples")
    rm.add_argument("name", metavar="NAME")
    rm.add_argument("--model", metavar="NAME", help="only their samples of this model's kind")
    gallery_opt(rm)
    rm.set_defaults(func=cmd_remove)


def open_gallery(args, reads_only: bool = False):
    """The gallery a command names (``--gallery``, else $SIAMGUI_GALLERY, else the user's data
    folder), opened, with a warning line when a damaged file was set aside. A gallery named on the
    command line must lie in a folder that exists (``--gallery new/``, a folder to keep one in,
    may be that one new folder): a mistyped path is said, never made into new folders. A command that only reads or edits people (``reads_only``) needs the file itself:
    ``identify --gallery typo.sqlite3`` says there is no gallery there instead of leaving an empty
    one behind and answering that nobody is enrolled."""
    from siamgui.core.gallery import Gallery, file_path

    named = args.gallery or os.environ.get("SIAMGUI_GALLERY") or None
    if named:
        path = file_path(named)
        if reads_only and not path.exists():
            raise UserError(f"there is no gallery at {path}: enrol someone there first "
                            "(siamgui enrol NAME FILES --gallery ...), or check the path")
        # "--gallery new/" (a folder to keep one in) may make that one folder, in a folder that exists
        needed = path.parent.parent if str(named).endswith(("/", os.sep)) else path.parent
        if not needed.is_dir():
            raise UserError(f"the folder {needed} does not exist: create it first, or name a gallery "
                            "in a folder that exists")
    gallery = Gallery(named)
    if gallery.recovered:
        print(f"siamgui: warning: {gallery.notice()}", file=sys.stderr)
    return gallery


def model_scope(name: str) -> str:
    """The gallery scope of a model, from its card alone (the model is not run)."""
    from siamgui.core import registry
    from siamgui.core.modelcard import read_card
    from siamgui.core.scopes import scope_of_kind

    try:
        path = registry.find(name)
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from None
    return scope_of_kind(read_card(path).preprocess)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def cmd_list(args) -> int:
    scope = model_scope(args.model) if args.model else None
    with open_gallery(args, reads_only=True) as g:
        rows = [p for p in g.entries() if scope is None or p.scope == scope]
    if args.json:
        print(json.dumps({"people": [{"name": p.name, "samples": p.samples, "kind": p.scope} for p in rows]},
                         indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print("nobody is enrolled" + (f" for {args.model} ({scope} models)" if scope else ""))
    for p in rows:  # repr() keeps a name with a newline or a tab on one line
        shown = p.name if p.name.isprintable() else repr(p.name)
        print(f"{shown}\t{_count(p.samples, 'sample', 'samples')}\t{p.scope or '-'}")
    return 0


def cmd_export(args) -> int:
    from siamgui.tasks.gallery_archive import export_gallery

    from siamgui.progress import Bar

    from pathlib import Path

    from siamgui.cli_values import overwrite_problem

    scope = model_scope(args.model) if args.model else None
    with open_gallery(args, reads_only=True) as g, Bar("exporting", unit="sample") as progress:  # on stderr, only on a terminal
        problem = overwrite_problem(Path(args.out).expanduser(), [g.path])
        if problem:
            raise UserError(f"gallery export: {problem}")
        summary = export_gallery(g, args.out, scope, progress=progress)
    print(summary.sentence())
    return 0


def cmd_import(args) -> int:
    from siamgui.tasks.gallery_archive import import_gallery, read_archive

    from siamgui.progress import Bar

    checked = read_archive(args.source)  # a refused zip leaves no gallery file behind, not even an empty one
    with open_gallery(args) as g, Bar("importing", unit="sample") as progress:  # on stderr, only on a terminal
        summary = import_gallery(g, args.source, args.on_conflict, progress=progress, checked=checked)
        print(f"{summary.sentence()} (into {g.path})")
    return 0


def _find(g, name: str):
    person = g.person(name)
    if person is None:
        raise UserError(f"nobody called {name!r} is enrolled in {g.path}")
    return person


def cmd_rename(args) -> int:
    with open_gallery(args, reads_only=True) as g:
        person = _find(g, args.old)
        g.rename(person.id, args.new)
        print(f"renamed {args.old!r} to {args.new.strip()!r}")
    return 0


def cmd_remove(args) -> int:
    scope = model_scope(args.model) if args.model else None
    with open_gallery(args, reads_only=True) as g:
        person = _find(g, args.name)
        kinds = {p.scope: p.samples for p in g.entries() if p.id == person.id}
        if scope is not None and scope not in kinds:
            raise UserError(f"{args.name!r} has no samples of {args.model}'s kind ({scope})")
        g.delete_person(person.id, scope)
        gone = {scope: kinds[scope]} if scope else kinds
        what = ", ".join(f"{_count(n, 'sample', 'samples')} ({sc or 'none'})" for sc, n in sorted(gone.items()))
        print(f"removed {args.name!r}: {what}")
    return 0
