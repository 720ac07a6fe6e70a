"""Training presets of the ``glyph`` kind: preprocessing spec, encoder size, batch shape, loss and split rule.

Gathered by ``siamgui.train.presets`` (plain data: no training code is imported).
"""

PRESETS: dict[str, dict] = {
    "glyph": {
        "modality": "image",
        "spec": {"kind": "glyph", "size": 28, "margin": 0.1},
        "backbone": {"channels": [64, 64, 64, 64], "dim": 128},
        "p": 64, "k": 4, "loss": "proto", "lr": 2e-3, "weight_decay": 1e-4,
        "split_by_group": True, "val_fraction": 0.2, "minutes": 20.0,
        "description": "Hand-drawn characters: one-shot matching of glyphs never seen in training.",
    },
    "digit": {
        "modality": "image",
        "spec": {"kind": "glyph", "size": 28, "margin": 0.1},
        "backbone": {"channels": [32, 48, 64, 64], "dim": 64},
        "p": 10, "k": 16, "loss": "contrastive", "lr": 2e-3, "weight_decay": 1e-4,
        "split_by_group": False, "split_by": "sample", "val_fraction": 0.2, "minutes": 10.0,
        "description": "Handwritten digits 0-9 (white on black or dark on white): "
                       "a closed set of 10 classes, validated on held-out images of the same digits.",
    },
}
