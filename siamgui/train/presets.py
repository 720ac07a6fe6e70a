"""Per-modality recipes: preprocessing spec, encoder size, batch shape, loss and split rule."""

from __future__ import annotations

from copy import deepcopy

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
    "face": {
        "modality": "image",
        "spec": {"kind": "face", "size": 64, "margin": 0.15, "equalize": True, "mean": 0.5, "std": 0.5},
        "backbone": {"channels": [32, 64, 96, 128], "dim": 128, "dropout": 0.1},
        "p": 32, "k": 4, "loss": "proto", "lr": 2e-3, "weight_decay": 5e-4,
        "split_by_group": False, "val_fraction": 0.2, "minutes": 20.0,
        "description": "Faces (webcam or photo): the app's detector crop, 64 px grey, equalised.",
    },
    "face-finetune": {
        # Fine-tunes a pretrained face encoder (--init dlib-face): the spec and the network are the
        # imported model's; only part of it learns (train_layers), slowly, with a margin softmax
        # whose class centres start at each training identity's mean embedding.
        "modality": "image",
        "spec": {"kind": "face_aligned", "size": 150, "padding": 0.25, "channels": 3, "input": "rgb_0_255"},
        "backbone": {"dim": 128},
        "requires_init": True, "train_layers": "head",
        "p": 16, "k": 4, "loss": "cosface", "lr": 1e-4, "weight_decay": 1e-4,
        "split_by_group": False, "val_fraction": 0.2, "minutes": 10.0,
        "description": "Faces (webcam or photo): MTCNN detection, five-point alignment, 150 px RGB chip; "
                       "a pretrained encoder fine-tuned on the shared face sets.",
    },
    "voice": {
        "modality": "audio",
        "spec": {"kind": "logmel", "sample_rate": 16000, "n_mels": 40, "n_fft": 512, "win": 400, "hop": 160,
                 "frames": 160, "step": 80, "min_voiced_s": 0.4},
        "backbone": {"channels": [32, 64, 96, 128], "dim": 128, "pool": "stats"},
        "p": 48, "k": 3, "loss": "proto", "lr": 2e-3, "weight_decay": 1e-4,
        "split_by_group": False, "val_fraction": 0.18, "minutes": 20.0,
        "description": "Speaker verification: 40 log-mel bands, 1.6 s windows averaged over the clip.",
    },
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


def get(name: str) -> dict:
    if name not in PRESETS:
        raise KeyError(name)
    return deepcopy(PRESETS[name])
