"""Training presets of the ``face`` kind: preprocessing spec, encoder size, batch shape, loss and split rule.

Gathered by ``siamgui.train.presets`` (plain data: no training code is imported).
"""

PRESETS: dict[str, dict] = {
    "face": {
        "modality": "image",
        "spec": {"kind": "face", "size": 64, "margin": 0.15, "equalize": True, "mean": 0.5, "std": 0.5},
        "backbone": {"channels": [32, 64, 96, 128], "dim": 128, "dropout": 0.1},
        "p": 32, "k": 4, "loss": "proto", "lr": 2e-3, "weight_decay": 5e-4,
        "split_by_group": False, "val_fraction": 0.2, "minutes": 20.0,
        "description": "Faces (webcam or photo): the app's detector crop, 64 px grey, equalised.",
    },
}
