"""Training presets of the ``sound`` kind: preprocessing spec, encoder size, batch shape, loss and split rule.

Gathered by ``siamgui.train.presets`` (plain data: no training code is imported).
"""

PRESETS: dict[str, dict] = {
    "sound": {
        # any folder of sound kinds (cat, dog, ...): 1 s log-mel windows of the clip's sounding part;
        # with a few kinds the split is by clip (held-out recordings of the same kinds)
        "modality": "audio", "source": "sound",
        "spec": {"kind": "sound", "sample_rate": 16000, "n_mels": 40, "n_fft": 512, "win": 400, "hop": 160,
                 "frames": 100, "step": 50, "min_voiced_s": 0.3},
        "backbone": {"channels": [32, 64, 96, 128], "dim": 64, "pool": "stats", "dropout": 0.2},
        "p": 2, "k": 24, "loss": "contrastive", "lr": 2e-3, "weight_decay": 5e-4,
        "split_by_group": False, "split_by": "sample", "val_fraction": 0.25, "minutes": 8.0,
        "description": "Kinds of sound (e.g. cat or dog): 40 log-mel bands, 1 s windows averaged over the clip.",
    },
}
