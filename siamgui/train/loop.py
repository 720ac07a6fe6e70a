"""The training run: data -> split -> P x K batches -> loss -> checkpoints -> evaluation -> export."""

from __future__ import annotations

import datetime as _dt
import json
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

from siamgui.core.modelcard import ModelCard
from siamgui import kinds as modalities
from siamgui.kinds import preprocess
from siamgui.train import backbones, data, distributed, evaluate, export, importers, losses, presets
from siamgui.train.checkpoint import load_checkpoint, save_checkpoint
from siamgui.train.config import Config, preset_overrides
from siamgui.train.modalities import SOURCES
from siamgui.train.sampling import PKSampler


class _Trainee(torch.nn.Module):
    """Encoder and loss as one module, so DistributedDataParallel averages the loss's parameters too."""

    def __init__(self, model: torch.nn.Module, crit: torch.nn.Module):
        super().__init__()
        self.model, self.crit = model, crit

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.crit(self.model(x), y)


class _Stream(torch.utils.data.IterableDataset):
    """Endless batches drawn by worker processes, each with its own seeded generator."""

    def __init__(self, draw, seed: int):
        self.draw, self.seed = draw, seed

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        rng = np.random.default_rng([self.seed, info.id if info else 0])
        while True:
            yield self.draw(rng)


def _batches(draw, rng: np.random.Generator, workers: int, seed: int):
    """Batches from ``draw``: in this process (reproducible) or from ``workers`` processes (so a GPU
    is not starved by augmentation on the CPU)."""
    if workers <= 0:
        while True:
            yield draw(rng)
    loader = torch.utils.data.DataLoader(_Stream(draw, seed), batch_size=None, num_workers=workers,
                                         pin_memory=torch.cuda.is_available(), prefetch_factor=4,
                                         persistent_workers=True)
    yield from loader


def log(msg: str) -> None:
    print(msg, flush=True)


def _setup(cfg: Config, init=None):
    torch.set_num_threads(max(1, min(torch.get_num_threads(), 2 if cfg.device != "cuda" else 4)))
    preset = presets.get(cfg.preset)
    spec = dict(preset["spec"]) if init is None else dict(init.spec)
    if init is None and preset.get("requires_init"):
        raise data.TrainError(f"the {cfg.preset} preset fine-tunes a pretrained encoder: pass --init "
                              "(for example --init dlib-face)")
    if init is not None and cfg.train_layers is None and preset.get("train_layers"):
        cfg.train_layers = preset["train_layers"]
    if init is not None and init.modality != preset["modality"]:
        raise data.TrainError(f"--init {cfg.init} takes {init.modality} input, the {cfg.preset} preset trains on "
                              f"{preset['modality']}")
    if cfg.size:
        if modalities.get(spec).medium == "audio":  # audio windows: frames per window
            spec["frames"] = int(cfg.size)
        else:
            spec["size"] = int(cfg.size)
    if cfg.dim:
        preset["backbone"]["dim"] = int(cfg.dim)
    preset.update(preset_overrides(cfg))  # the options marked so in config.py
    if preset["loss"] not in losses.LOSSES:
        raise data.TrainError(f"unknown loss {preset['loss']!r} (known: {', '.join(losses.LOSSES)})")
    preset["spec"] = preprocess.resolve(spec)
    hist = preset["backbone"].get("colour_hist")
    if hist is not None and init is None:  # the histogram undoes the input's normalisation
        mean, std = preset["spec"].get("mean", 0.0), preset["spec"].get("std", 1.0)
        if not all(isinstance(v, (int, float)) for v in (mean, std)) or int(preset["spec"].get("channels", 3)) != 3:
            raise data.TrainError("a colour-histogram encoder needs 3-channel input with one mean and std")
        hist.update(mean=float(mean), std=float(std))
    return preset


def _load(cfg: Config, preset: dict, say=None):
    skipped = data.Skipped()
    spec = preset["spec"]
    items = data.scan(cfg.data_dirs, preset["modality"], cfg.name_class, skipped)
    if cfg.exclude_classes_from:
        items = _exclude(items, cfg.exclude_classes_from, say or log)
    cache = Path(cfg.cache) if cfg.cache else Path(cfg.workdir).parent / "cache"
    source = SOURCES[preset.get("source", spec["kind"])](items, spec, skipped, cache, progress=cfg.progress)
    usable = source.items
    if source.modality.medium == "audio":  # one sample per class (its joined audio), segments cut from it
        keep = [i for i, w in enumerate(source.waves) if len(w) >= 1.0 * source.rate]
        per_clip = preset.get("source") == "sound"  # one sample per clip, not one per class
        for i in sorted(set(range(len(usable))) - set(keep)):
            if per_clip:
                skipped.add("clips with under 1 s of sound", usable[i].path.name)
            else:
                skipped.add("classes with under 1 s of audio", usable[i].label)
        source.keep(keep)
    else:
        counts = data.by_class(usable)
        small = {c for c, idx in counts.items() if len(idx) < 2}
        for c in sorted(small):
            skipped.add("classes with fewer than 2 usable samples", c)
        source.keep([i for i, it in enumerate(usable) if it.label not in small])
    data.check_classes(source.items)
    return source, skipped, len(items)


def excluded_classes(model: str) -> list[str]:
    """The classes a model's card held out as its test identities (``provenance.split.val_class_names``)."""
    from siamgui.core.modelcard import read_card

    if not Path(model).is_file():
        raise data.TrainError(f"--exclude-classes-from {model}: no such file")
    names = (read_card(model).provenance.get("split") or {}).get("val_class_names") or []
    if not names:
        raise data.TrainError(f"--exclude-classes-from {Path(model).name}: its card names no held-out classes")
    return list(names)


def _exclude(items: list[data.Item], model: str, say=None) -> list[data.Item]:
    """Items less the test identities of ``model``, so training and its validation never see them."""
    names = set(excluded_classes(model))
    kept = [it for it in items if it.label not in names]
    if len(kept) == len(items):
        raise data.TrainError(f"--exclude-classes-from {Path(model).name}: none of its {len(names)} held-out "
                              "classes are in these folders (class names are relative to the data folder: "
                              "pass the folder its card was scored on)")
    (say or log)(f"[siamgui-train] left out {len({it.label for it in items}) - len({it.label for it in kept})} classes "
        f"({len(items) - len(kept)} files) held out by {Path(model).name}")
    return kept


def imprint_centres(crit: torch.nn.Module, embed, inputs: list[np.ndarray], class_ids: list[int]) -> int:
    """Start a margin softmax's class centres at each class's mean embedding by the pretrained
    encoder (weight imprinting): with random centres, the first steps would pull a good embedding
    towards arbitrary directions. Returns the number of centres set."""
    emb = evaluate.embed(embed, inputs)
    ids = np.asarray(class_ids)
    with torch.no_grad():
        for c in np.unique(ids):
            m = emb[ids == c].mean(0)
            crit.centres[int(c)] = torch.from_numpy(m / max(float(np.linalg.norm(m)), 1e-12))
    return int(len(np.unique(ids)))


def _schedule(progress: float, base: float) -> float:
    warm = 0.03
    if progress < warm:
        return base * (0.1 + 0.9 * progress / warm)
    t = min(1.0, (progress - warm) / (1 - warm))
    return base * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * t)))


def _curve(history: dict, path: Path, title: str, axis: str = "held-out classes, %") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    if history["loss"]:
        steps, vals = zip(*history["loss"])
        v = np.asarray(vals)
        w = max(1, len(v) // 50)
        smooth = np.convolve(v, np.ones(w) / w, mode="valid")
        ax.plot(steps[: len(smooth)], smooth, color="tab:blue", label="training loss")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss", color="tab:blue")
    if history["val"]:
        ax2 = ax.twinx()
        s = [h["step"] for h in history["val"]]
        ax2.plot(s, [h["eer"] * 100 for h in history["val"]], "o-", color="tab:red", label="val EER %")
        if all("one_shot_20" in h for h in history["val"]):
            ax2.plot(s, [100 - h["one_shot_20"] * 100 for h in history["val"]], "s--", color="tab:green",
                     label="val 20-way one-shot error %")
        ax2.set_ylabel(axis)
        ax2.legend(loc="upper right", fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


class Trainer:
    """One training run in four parts, so each can be read, tested and reused on its own:

    ``setup()`` (data, split, network, loss, optimiser, a checkpoint to resume), ``step()`` (one
    batch, and the logging, validation and checkpoints that fall due), ``validate()`` (figures on
    the held-out data) and ``finish()`` (final figures, the card, ONNX export, report and curves).
    ``run()`` is setup, steps until the budget is spent, finish.
    """

    CHECKPOINT_KEYS = ("model", "loss", "opt", "step", "elapsed", "history", "np_rng", "torch_rng", "val_classes")

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.t_start = time.time()
        self.step_no = 0
        self.elapsed = 0.0
        self.history: dict = {"loss": [], "val": []}
        self.bar = None

    def say(self, msg: str) -> None:
        """One voice on the terminal: rank 0's."""
        if self.place.main:
            log(msg)

    # --- setup -------------------------------------------------------------------------------------
    def setup(self) -> "Trainer":
        cfg = self.cfg
        self.place = place = distributed.setup(cfg.device)
        if not place.main:
            cfg.progress = False
        self.init = init = importers.load_init(cfg.init) if cfg.init else None
        ck = None  # read first: a bad checkpoint is refused before minutes of loading data
        if cfg.resume:
            ck = load_checkpoint(cfg.resume, "--resume", needs=self.CHECKPOINT_KEYS)
        self.preset = preset = _setup(cfg, init)
        self.spec = spec = preset["spec"]
        self.say(f"[siamgui-train] device {place.device}"
                 + (f", rank {place.rank} of {place.world}" if place.distributed else ""))
        self.work = Path(cfg.workdir)
        self.work.mkdir(parents=True, exist_ok=True)
        self.say(f"[siamgui-train] preset {cfg.preset}: {spec}")
        source, skipped, n_files = _load(cfg, preset, self.say)
        self.source, self.skipped = source, skipped
        self.say(f"[siamgui-train] {n_files} files, {len(source.items)} usable samples in "
                 f"{len(set(i.label for i in source.items))} classes; {skipped.summary()}")
        self._split()
        self._model()
        if ck is not None:
            self._resume(ck)
        self.batches = _batches(self._draw, self.np_rng, cfg.workers, cfg.seed + 7919 * place.rank)
        if cfg.progress and place.main:
            from tqdm import tqdm

            self.bar = tqdm(total=cfg.steps if cfg.steps else int(self.budget_s),
                            initial=self.step_no if cfg.steps else int(self.elapsed),
                            unit="step" if cfg.steps else "s", desc=f"training {cfg.preset}", dynamic_ncols=True,
                            file=sys.stdout, mininterval=5.0)
        self.model.train()
        if self.trainable is not None:
            backbones.freeze(self.model, cfg.train_layers)
        self.last_ck = self.last_eval = self.last_log = self.elapsed
        self.eval_every_steps = max(1, cfg.steps // 4) if cfg.steps else None
        return self

    def _split(self) -> None:
        """Training and held-out indices (by class, or by sample for closed sets) and the held-out inputs."""
        cfg, preset, source = self.cfg, self.preset, self.source
        if preset.get("split_by", "class") == "sample":
            tr_idx, va_idx, how = data.split_samples(source.items, preset["val_fraction"], cfg.seed)
            train_cls = val_cls = sorted({it.label for it in source.items})
            if preset.get("source") == "sound":  # split by clip: the card names the held-out clips
                how["val_files"] = [f"{source.items[i].label.split('/')[-1]}/{source.items[i].path.name}"
                                    for i in va_idx]
            self.say(f"[siamgui-train] split: {how['rule']}: {len(tr_idx)} training and {len(va_idx)} validation "
                     "samples")
        else:
            train_cls, val_cls, how = data.split_classes(source.items, preset["val_fraction"], cfg.seed,
                                                         by_group=preset["split_by_group"], val_groups=cfg.val_groups)
            val_set = set(val_cls)
            tr_idx = [i for i, it in enumerate(source.items) if it.label not in val_set]
            va_idx = [i for i, it in enumerate(source.items) if it.label in val_set]
            self.say(f"[siamgui-train] split: {how['rule']}: {len(train_cls)} training classes, {len(val_cls)} "
                     "validation classes")
        self.tr_idx, self.va_idx, self.how, self.train_cls, self.val_cls = tr_idx, va_idx, how, train_cls, val_cls
        rng_eval = np.random.default_rng(cfg.seed + 1)
        self.val_inputs, self.val_labels = source.eval_inputs(va_idx, rng_eval)
        label_group = {it.label: it.group for it in source.items}
        self.val_groups = [label_group[l] for l in self.val_labels]
        self.have_val = len(set(self.val_labels)) >= 2 and len(self.val_labels) > len(set(self.val_labels))
        if not self.have_val:
            self.say("[siamgui-train] warning: too few validation samples for figures (need 2 classes with 2+ "
                     "samples)")

    def _model(self) -> None:
        """Network, batch sampler, loss (class centres imprinted when fine-tuning) and optimiser."""
        cfg, preset, source, place, init = self.cfg, self.preset, self.source, self.place, self.init
        torch.manual_seed(cfg.seed)
        self.np_rng = np.random.default_rng(cfg.seed + 7919 * place.rank)  # each rank draws its own batches
        c_in, h_in, _ = preprocess.input_shape(self.spec)
        if init is not None:
            model = init.module
            preset["backbone"] = {"init": init.source, "dim": init.dim}
        else:
            model = backbones.build({**preset["backbone"], "in_ch": c_in, "in_height": h_in})
        self.trainable = backbones.freeze(model, cfg.train_layers) if cfg.train_layers else None
        self.variants = source.variants(preset)  # turned glyphs, voices at other speeds, photos in other hues
        self.train_ref = train_ref = [(i, v) for v in range(self.variants) for i in self.tr_idx]
        self.sampler = sampler = PKSampler([f"{source.items[i].label}@{v}" for i, v in train_ref], preset["p"],
                                           preset["k"], groups=[source.items[i].group for i, _ in train_ref],
                                           groups_per_batch=preset.get("groups_per_batch"))
        self.global_ids = preset["loss"] in losses.GLOBAL
        self.embedding_dim = int(getattr(model, "dim", preset["backbone"]["dim"]))
        crit = losses.make(preset["loss"], cfg.margin, classes=len(sampler.classes), dim=self.embedding_dim)
        if init is not None and hasattr(crit, "centres") and not cfg.resume:
            per_class: dict[str, list[int]] = {}
            for n, (i, v) in enumerate(train_ref):
                if v == 0:
                    per_class.setdefault(source.items[i].label, []).append(n)
            pick = [n for ns in per_class.values() for n in ns[:4]]
            # eval_inputs may give several inputs per item (audio: a class's segments): label them by
            # the labels it returns, not by the items asked for
            inputs, got_labels = source.eval_inputs([train_ref[n][0] for n in pick], self.np_rng)
            model.eval()
            with torch.no_grad():
                n_set = imprint_centres(crit, lambda x: model(torch.from_numpy(x)).numpy(), inputs,
                                        [sampler.classes.index(f"{label}@0") for label in got_labels])
            self.say(f"[siamgui-train] class centres set to the mean embedding of up to 4 samples of each of "
                     f"{n_set} training classes")
        model.to(place.device)
        crit.to(place.device)
        params = [q for q in list(model.parameters()) + list(crit.parameters()) if q.requires_grad]
        self.opt = torch.optim.AdamW(params, lr=preset["lr"], weight_decay=preset["weight_decay"])
        self.model, self.crit = model, crit
        self.trainee = _Trainee(model, crit)
        if place.distributed:
            self.trainee = torch.nn.parallel.DistributedDataParallel(
                self.trainee, device_ids=[place.device.index] if place.device.type == "cuda" else None)
        self.budget_s = None if cfg.steps else 60.0 * float(cfg.minutes if cfg.minutes is not None
                                                             else preset["minutes"])
        self.ckpt_path = self.work / "checkpoint.pt"

    def _resume(self, ck: dict) -> None:
        cfg = self.cfg
        if ck["val_classes"] != self.val_cls:
            raise data.TrainError(f"{cfg.resume}: the checkpoint was made with another split (seed or data differ)")
        try:
            self.model.load_state_dict(ck["model"])
            self.crit.load_state_dict(ck["loss"])
            self.opt.load_state_dict(ck["opt"])
            self.step_no, self.elapsed, self.history = int(ck["step"]), float(ck["elapsed"]), ck["history"]
            self.np_rng.bit_generator.state = ck["np_rng"]
            torch.set_rng_state(ck["torch_rng"])
        except (RuntimeError, KeyError, ValueError, TypeError) as exc:
            raise data.TrainError(f"--resume {Path(cfg.resume).name}: the checkpoint does not fit this run's "
                                  f"network or loss (made with other options? {type(exc).__name__})") from None
        self.say(f"[siamgui-train] resumed from {cfg.resume} at step {self.step_no} "
                 f"({self.elapsed / 60:.1f} min trained)")

    def _draw(self, rng: np.random.Generator):
        idx, ids = self.sampler.batch(rng, global_ids=self.global_ids)
        x = np.stack([self.source.train_sample(self.train_ref[i][0], rng, self.train_ref[i][1])
                      for i in idx]).astype(np.float32)
        return torch.from_numpy(x), torch.from_numpy(ids)

    # --- the loop ----------------------------------------------------------------------------------
    def progress(self) -> float:
        """Share of the budget (steps or minutes) spent, 0 to 1."""
        return self.step_no / self.cfg.steps if self.cfg.steps else self.elapsed / self.budget_s

    def save_checkpoint(self) -> None:
        if self.place.main:
            save_checkpoint({"model": self.model.state_dict(), "loss": self.crit.state_dict(),
                             "opt": self.opt.state_dict(), "step": self.step_no, "elapsed": self.elapsed,
                             "history": self.history, "np_rng": self.np_rng.bit_generator.state,
                             "torch_rng": torch.get_rng_state(), "val_classes": self.val_cls,
                             "preset": self.preset, "seed": self.cfg.seed,
                             "init": self.init.source if self.init is not None else None}, self.ckpt_path)

    def step(self) -> float:
        """One batch: forward, backward, update; then the log line, validation and checkpoint that are due."""
        cfg, place = self.cfg, self.place
        t0 = time.time()
        for g in self.opt.param_groups:
            g["lr"] = _schedule(self.progress(), self.preset["lr"])
        x, y = next(self.batches)
        loss = self.trainee(x.to(place.device, non_blocking=True), y.to(place.device, non_blocking=True))
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.step_no += 1
        dt = time.time() - t0
        self.elapsed = elapsed = distributed.agree_max(self.elapsed + dt, place)
        value = float(loss.item())
        self.history["loss"].append((self.step_no, value))
        if self.bar is not None:
            self.bar.update(1 if cfg.steps else int(elapsed) - self.bar.n)
            self.bar.set_postfix(loss=f"{value:.3f}", refresh=False)
        if cfg.log_every and elapsed - self.last_log >= cfg.log_every and place.main:
            log(f"step {self.step_no} ({elapsed / 60:.1f} min) loss {value:.3f}")
            self.last_log = elapsed
        due = (self.step_no % self.eval_every_steps == 0) if cfg.steps else (elapsed - self.last_eval >= cfg.eval_every)
        if self.have_val and due and self.progress() < 1.0 and place.main:
            v = self.validate(quick=True)
            self.history["val"].append({"step": self.step_no, "elapsed": elapsed, **{k: v[k] for k in v if k in (
                "auc", "eer", "one_shot_5", "one_shot_20")}})
            self.last_eval = elapsed
            msg = (f"step {self.step_no} ({elapsed / 60:.1f} min) loss {value:.3f} val EER {v['eer']:.2%} "
                   f"AUC {v['auc']:.4f}")
            if "one_shot_20" in v:
                msg += f" 20-way {v['one_shot_20']:.1%}"
            (self.bar.write if self.bar is not None else log)(msg)
        if elapsed - self.last_ck >= cfg.checkpoint_every:
            self.save_checkpoint()
            self.last_ck = elapsed
        return value

    def _embed(self, x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self.model(torch.from_numpy(np.ascontiguousarray(x, np.float32)).to(self.place.device)).cpu().numpy()

    def validate(self, quick: bool) -> dict:
        """Figures on the held-out data (quick: fewer pairs and trials, for the curve during training)."""
        self.model.eval()
        emb = evaluate.embed(self._embed, self.val_inputs)
        self.model.train()
        if self.trainable is not None:
            backbones.freeze(self.model, self.cfg.train_layers)  # frozen layers stay in eval mode
        return evaluate.evaluate(emb, self.val_labels, self.val_groups, seed=self.cfg.seed, quick=quick)

    # --- finish ------------------------------------------------------------------------------------
    def finish(self) -> dict:
        """Last checkpoint; then on rank 0: final figures, the card, ONNX export, report and curves."""
        cfg, preset, spec, source, work = self.cfg, self.preset, self.spec, self.source, self.work
        if self.bar is not None:
            self.bar.close()
        self.save_checkpoint()
        distributed.barrier(self.place)
        if not self.place.main:  # rank 0 alone evaluates and exports
            distributed.teardown(self.place)
            return {"rank": self.place.rank, "steps": self.step_no}
        model = self.model
        model.eval()
        model.to("cpu")
        self.place = distributed.Place(device=torch.device("cpu"), rank=0, world=1)  # the rest on rank 0's CPU
        step, elapsed, history, how, val_cls = self.step_no, self.elapsed, self.history, self.how, self.val_cls

        # final figures on the held-out classes, the threshold at their EER point
        figures: dict = {}
        threshold = 0.5
        if self.have_val:
            figures = self.validate(quick=False)
            threshold = figures["threshold"]
            history["val"].append({"step": step, "elapsed": elapsed, **{k: figures[k] for k in figures if k in (
                "auc", "eer", "one_shot_5", "one_shot_20")}})
        shown = {k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()}
        held = (f"{how['val_samples']} held-out samples of {len(val_cls)} classes" if how.get("split_by") == "sample"
                else f"{len(val_cls)} held-out classes")
        log(f"[siamgui-train] validation ({held}): {json.dumps(shown)}")

        name = cfg.name or Path(cfg.out).stem
        card = ModelCard(
            name=name, modality=preset["modality"], preprocess=dict(spec), metric="cosine",
            threshold=float(threshold), description=preset["description"], embedding_dim=self.embedding_dim,
            metrics={k: v for k, v in figures.items()} | {"threshold_rule": "EER point on validation pairs"}
            | ({"seed_reported": cfg.reported} if cfg.reported else {}),
            provenance={
                "data": [str(d) for d in cfg.data_dirs], "preset": cfg.preset, "loss": preset["loss"],
                "batch": f"{self.sampler.p} classes x {preset['k']}", "steps": step, "seed": cfg.seed,
                "split": {**how, "train_class_names": list(self.train_cls),
                          **({"excluded_from": Path(cfg.exclude_classes_from).name}
                             if cfg.exclude_classes_from else {})},
                "train_classes": len(self.train_cls), "train_layers": cfg.train_layers,
                "skipped": self.skipped.as_dict(), "command": cfg.command,
                "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "train_minutes": round(elapsed / 60, 2), "torch": torch.__version__, "machine": platform.machine(),
                "backbone": preset["backbone"], "class_rotations": self.variants,
                "speed_classes": list(getattr(source, "speeds", (1.0,))[1:]),
                "hue_classes": list(getattr(source, "hues", (0.0,))[1:]),
                "groups_per_batch": preset.get("groups_per_batch"),
                **({"data_licence": cfg.data_licence} if cfg.data_licence else {}),
                **({"samples": cfg.samples_note} if cfg.samples_note else {}),
            },
        )
        flat = np.concatenate(self.val_inputs[:64]) if self.val_inputs else np.stack(
            [source.train_sample(i, self.np_rng) for i in self.tr_idx[:16]])
        c, h, w = preprocess.input_shape(spec)
        out, diff = export.export(model, (c, h, w), cfg.out, card, flat[:64])
        log(f"[siamgui-train] exported {out} ({out.stat().st_size / 1e6:.2f} MB); parity torch vs onnxruntime on "
            f"{min(64, len(flat))} real inputs: max abs diff {diff:.2e}")

        # the exported file, loaded by the app's own engine, on real files: same embeddings as torch?
        app_diff = _app_check(out, model, spec, [source.items[i].path for i in (self.va_idx or self.tr_idx)[:6]])
        if app_diff is not None:
            log(f"[siamgui-train] app engine (Encoder.load + embed on files) vs torch: max abs diff {app_diff:.2e}")

        wall = time.time() - self.t_start
        report = {"preset": cfg.preset, "out": str(out), "size_bytes": out.stat().st_size, "metrics": figures,
                  "threshold": threshold, "parity_max_abs_diff": diff, "app_max_abs_diff": app_diff,
                  "steps": step, "train_minutes": elapsed / 60, "wall_minutes": wall / 60, "split": how,
                  "skipped": self.skipped.as_dict(), "history_val": history["val"], "command": cfg.command}
        (work / "report.json").write_text(json.dumps(report, indent=2, default=str))
        (work / "card.json").write_text(json.dumps({"name": card.name, "modality": card.modality,
                                                    "preprocess": card.preprocess, "metric": card.metric,
                                                    "threshold": card.threshold, "description": card.description,
                                                    "embedding_dim": card.embedding_dim, "metrics": card.metrics,
                                                    "provenance": card.provenance}, indent=2, default=str))
        curve = Path(cfg.out).with_name(Path(cfg.out).stem + "-curve.png")
        title = f"{name}: {preset['loss']} loss, {held}"  # a split by sample holds out samples, not classes
        axis = "held-out samples, %" if how.get("split_by") == "sample" else "held-out classes, %"
        _curve(history, work / "curve.png", title, axis)
        _curve(history, curve, title, axis)
        log(f"[siamgui-train] curve {curve}, report {work / 'report.json'}; wall time {wall / 60:.1f} min")
        return report

    def run(self) -> dict:
        """Setup, steps until the budget is spent, finish; returns the report (rank 0)."""
        self.setup()
        while self.progress() < 1.0:
            self.step()
        return self.finish()


def run(cfg: Config) -> dict:
    """Train, validate on held-out classes, export with the card; returns the report (rank 0)."""
    return Trainer(cfg).run()


def _app_check(path: Path, model, spec: dict, files: list[Path]) -> float | None:
    from siamgui.core.encoder import Encoder
    from siamgui.media.errors import MediaError

    enc = Encoder.load(path, device="cpu")
    worst = None
    for f in files:
        try:
            prep = preprocess.prepare(spec, f)
            got = enc.embed([f])
        except MediaError:
            continue
        with torch.no_grad():
            ref = evaluate.embed(lambda x: model(torch.from_numpy(x)).numpy(), [prep.tensors])
        d = float(np.max(np.abs(ref - got)))
        worst = d if worst is None else max(worst, d)
    return worst
