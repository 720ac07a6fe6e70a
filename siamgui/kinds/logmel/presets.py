"""Training presets of the ``logmel`` kind: preprocessing spec, encoder size, batch shape, loss and split rule.

Gathered by ``siamgui.train.presets`` (plain data: no training code is imported).
"""

PRESETS: dict[str, dict] = {
    "voice": {
        "modality": "audio",
        "spec": {"kind": "logmel", "sample_rate": 16000, "n_mels": 40, "n_fft": 512, "win": 400, "hop": 160,
                 "frames": 160, "step": 80, "min_voiced_s": 0.4},
        "backbone": {"channels": [32, 64, 96, 128], "dim": 128, "pool": "stats"},
        "p": 48, "k": 3, "loss": "proto", "lr": 2e-3, "weight_decay": 1e-4,
        "split_by_group": False, "val_fraction": 0.18, "minutes": 20.0,
        "description": "Speaker verification: 40 log-mel bands, 1.6 s windows averaged over the clip.",
    },
}
