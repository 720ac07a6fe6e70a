"""Training presets of the ``face_aligned`` kind: preprocessing spec, encoder size, batch shape, loss and split rule.

Gathered by ``siamgui.train.presets`` (plain data: no training code is imported).
"""

PRESETS: dict[str, dict] = {
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
}
