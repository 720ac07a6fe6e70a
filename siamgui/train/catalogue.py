"""What ``siamgui-train`` offers, as plain data: presets, losses and recipes with their notes.

``siamgui-train --list [--json]`` prints it. The Train view reads that output from a process and
keeps no copy, so the choices a user can make in the window are the trainer's own (no torch here).
"""

from __future__ import annotations

from typing import Any

from siamgui.train.loss_names import LOSS_NOTES
from siamgui.train.presets import PRESETS


def recipe_loss(recipe) -> str:
    """The loss a recipe trains with: its own ``--loss``, else its preset's."""
    args = list(recipe.args)
    return args[args.index("--loss") + 1] if "--loss" in args else PRESETS[recipe.preset]["loss"]


def listing() -> dict[str, Any]:
    """Presets, losses and recipes with what a learner should know of each (JSON-ready)."""
    from siamgui.train.recipes import RECIPES

    presets = {
        name: {"modality": p["modality"], "kind": p["spec"]["kind"], "loss": p["loss"], "minutes": p["minutes"],
               "description": p["description"], "requires_init": bool(p.get("requires_init")),
               "split_by": p.get("split_by", "class")}
        for name, p in PRESETS.items()
    }
    recipes = {
        r.name: {"title": r.title, "preset": r.preset, "loss": recipe_loss(r), "minutes": r.minutes,
                 "note": r.note, "reported": dict(r.reported), "model": r.model, "data": list(r.data),
                 "licence": r.licence}
        for r in RECIPES.values()
    }
    return {"presets": presets, "losses": dict(LOSS_NOTES), "recipes": recipes}


def text(listing: dict[str, Any]) -> str:
    """The listing for a terminal: one block per section, a line per entry."""
    lines = ["presets (--preset):"]
    for name, p in listing["presets"].items():
        init = ", needs --init" if p["requires_init"] else ""
        lines.append(f"  {name:15} {p['modality']}, loss {p['loss']}, {p['minutes']:g} min{init}: {p['description']}")
    lines.append("losses (--loss):")
    lines += [f"  {name:17} {note}" for name, note in listing["losses"].items()]
    lines.append("recipes (siamgui-train recipe NAME):")
    for name, r in listing["recipes"].items():
        lines.append(f"  {name:19} {r['title']} (preset {r['preset']}, loss {r['loss']}, {r['minutes']:g} min); "
                     f"seed reports {r['reported']['figure']}")
    return "\n".join(lines)
