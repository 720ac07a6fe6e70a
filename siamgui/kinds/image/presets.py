"""Training presets of the ``image`` kind: preprocessing spec, encoder size, batch shape, loss and split rule.

Gathered by ``siamgui.train.presets`` (plain data: no training code is imported).
"""

PRESETS: dict[str, dict] = {
    "image": {
        # colour photos of things (fruit varieties, objects): the whole photo resized, RGB; a CNN
        # joined to a colour histogram of the foreground (the CNN learns what colour gets wrong);
        # hue-turned copies of each kind are extra kinds; photos turn freely (turntable shots)
        "modality": "image", "source": "image",
        "spec": {"kind": "image", "size": 64, "channels": 3, "mean": 0.5, "std": 0.5},
        "backbone": {"channels": [32, 64, 96, 128], "dim": 64, "dropout": 0.1,
                     "colour_hist": {"bins": [12, 12, 12], "cnn_weight": 0.3, "white": 0.9, "dihedral": True}},
        "augment": {"rotate": 180, "scale": [0.85, 1.15]}, "hue_classes": (-50, 50),
        "p": 16, "k": 6, "loss": "proto", "lr": 2e-3, "weight_decay": 5e-4,
        "split_by_group": False, "val_fraction": 0.2, "minutes": 8.0,
        "description": "Colour photos of things on a plain light background (as Fruits-360): the whole photo "
                       "at 64 px RGB, a small CNN joined to a colour histogram of the foreground; one-shot over "
                       "kinds never seen.",
    },
}
