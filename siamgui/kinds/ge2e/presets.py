"""Training presets of the ``ge2e`` kind: preprocessing spec, encoder size, batch shape, loss and split rule.

Gathered by ``siamgui.train.presets`` (plain data: no training code is imported).
"""

PRESETS: dict[str, dict] = {
    "voice-finetune": {
        # Fine-tunes a pretrained speaker encoder (--init resemblyzer): the spec and the network are
        # the imported model's; the upper layers learn slowly with the GE2E-like prototype loss
        # (no class centres to start from scratch), speakers also played at other speeds.
        "modality": "audio",
        "spec": {"kind": "ge2e"},
        "backbone": {"dim": 256},
        "requires_init": True, "train_layers": "top:2",
        "p": 32, "k": 4, "loss": "proto", "lr": 5e-5, "weight_decay": 1e-4, "speed_classes": (0.9, 1.1),
        "split_by_group": False, "val_fraction": 0.15, "minutes": 10.0,
        "description": "Speaker verification: Resemblyzer's GE2E features and network, fine-tuned on the "
                       "shared speakers.",
    },
}
