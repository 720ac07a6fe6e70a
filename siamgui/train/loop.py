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
from siamgui.media import modalities, preprocess
from siamgui.train import backbones, data, distributed, evaluate, export, importers, losses, presets
from siamgui.train.checkpoint import load_checkpoint, save_checkpoint
from siamgui.train.config import Config  # noqa: F401 - the run's options (declared once, there)
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
    for key in ("loss", "p", "k", "lr", "val_fraction", "rotations", "speed_classes", "hue_classes", "groups_per_batch",
                "split_by"):
        if getattr(cfg, key) is not None:
            preset[key] = getattr(cfg, key)
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


def _load(cfg: Config, preset: dict):
    skipped = data.Skipped()
    spec = preset["spec"]
    items = data.scan(cfg.data_dirs, preset["modality"], cfg.name_class, skipped)
    if cfg.exclude_classes_from:
        items = _exclude(items, cfg.exclude_classes_from)
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


def _exclude(items: list[data.Item], model: str) -> list[data.Item]:
    """Items less the test identities of ``model``, so training and its validation never see them."""
    names = set(excluded_classes(model))
    kept = [it for it in items if it.label not in names]
    if len(kept) == len(items):
        raise data.TrainError(f"--exclude-classes-from {Path(model).name}: none of its {len(names)} held-out "
                              "classes are in these folders (class names are relative to the data folder: "
                              "pass the folder its card was scored on)")
    log(f"[siamgui-train] left out {len({it.label for it in items}) - len({it.label for it in kept})} classes "
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


def run(cfg: Config) -> dict:
    """Train, validate on held-out classes, export with the card; returns the report (rank 0)."""
    t_start = time.time()
    place = distributed.setup(cfg.device)
    global log
    if not place.main:  # one voice on the terminal: rank 0's
        log = lambda msg: None  # noqa: E731
        cfg.progress = False
    init = importers.load_init(cfg.init) if cfg.init else None
    ck = None  # read first: a bad checkpoint is refused before minutes of loading data
    if cfg.resume:
        ck = load_checkpoint(cfg.resume, "--resume", needs=("model", "loss", "opt", "step", "elapsed", "history",
                                                            "np_rng", "torch_rng", "val_classes"))
    preset = _setup(cfg, init)
    spec = preset["spec"]
    log(f"[siamgui-train] device {place.device}" + (f", rank {place.rank} of {place.world}" if place.distributed else ""))
    work = Path(cfg.workdir)
    work.mkdir(parents=True, exist_ok=True)
    log(f"[siamgui-train] preset {cfg.preset}: {spec}")
    source, skipped, n_files = _load(cfg, preset)
    log(f"[siamgui-train] {n_files} files, {len(source.items)} usable samples in "
        f"{len(set(i.label for i in source.items))} classes; {skipped.summary()}")

    if preset.get("split_by", "class") == "sample":
        tr_idx, va_idx, how = data.split_samples(source.items, preset["val_fraction"], cfg.seed)
        train_cls = val_cls = sorted({it.label for it in source.items})
        if preset.get("source") == "sound":  # split by clip: the card names the held-out clips
            how["val_files"] = [f"{source.items[i].label.split('/')[-1]}/{source.items[i].path.name}" for i in va_idx]
        log(f"[siamgui-train] split: {how['rule']}: {len(tr_idx)} training and {len(va_idx)} validation samples")
    else:
        train_cls, val_cls, how = data.split_classes(source.items, preset["val_fraction"], cfg.seed,
                                                     by_group=preset["split_by_group"], val_groups=cfg.val_groups)
        val_set = set(val_cls)
        tr_idx = [i for i, it in enumerate(source.items) if it.label not in val_set]
        va_idx = [i for i, it in enumerate(source.items) if it.label in val_set]
        log(f"[siamgui-train] split: {how['rule']}: {len(train_cls)} training classes, {len(val_cls)} validation classes")

    rng_eval = np.random.default_rng(cfg.seed + 1)
    val_inputs, val_labels = source.eval_inputs(va_idx, rng_eval)
    label_group = {it.label: it.group for it in source.items}
    val_groups = [label_group[l] for l in val_labels]
    have_val = len(set(val_labels)) >= 2 and len(val_labels) > len(set(val_labels))
    if not have_val:
        log("[siamgui-train] warning: too few validation samples for figures (need 2 classes with 2+ samples)")

    torch.manual_seed(cfg.seed)
    np_rng = np.random.default_rng(cfg.seed + 7919 * place.rank)  # each rank draws its own batches
    c_in, h_in, _ = preprocess.input_shape(spec)
    if init is not None:
        model = init.module
        preset["backbone"] = {"init": init.source, "dim": init.dim}
    else:
        model = backbones.build({**preset["backbone"], "in_ch": c_in, "in_height": h_in})
    trainable = backbones.freeze(model, cfg.train_layers) if cfg.train_layers else None
    variants = source.variants(preset)  # turned glyphs, voices at other speeds, photos in other hues
    train_ref = [(i, v) for v in range(variants) for i in tr_idx]
    sampler = PKSampler([f"{source.items[i].label}@{v}" for i, v in train_ref], preset["p"], preset["k"],
                        groups=[source.items[i].group for i, _ in train_ref],
                        groups_per_batch=preset.get("groups_per_batch"))
    global_ids = preset["loss"] in losses.GLOBAL
    embedding_dim = int(getattr(model, "dim", preset["backbone"]["dim"]))
    crit = losses.make(preset["loss"], cfg.margin, classes=len(sampler.classes), dim=embedding_dim)
    if init is not None and hasattr(crit, "centres") and not cfg.resume:
        per_class: dict[str, list[int]] = {}
        for n, (i, v) in enumerate(train_ref):
            if v == 0:
                per_class.setdefault(source.items[i].label, []).append(n)
        pick = [n for ns in per_class.values() for n in ns[:4]]
        # eval_inputs may give several inputs per item (audio: a class's segments): label them by
        # the labels it returns, not by the items asked for
        inputs, got_labels = source.eval_inputs([train_ref[n][0] for n in pick], np_rng)
        model.eval()
        with torch.no_grad():
            n_set = imprint_centres(crit, lambda x: model(torch.from_numpy(x)).numpy(), inputs,
                                    [sampler.classes.index(f"{label}@0") for label in got_labels])
        log(f"[siamgui-train] class centres set to the mean embedding of up to 4 samples of each of "
            f"{n_set} training classes")
    model.to(place.device)
    crit.to(place.device)
    params = [q for q in list(model.parameters()) + list(crit.parameters()) if q.requires_grad]
    opt = torch.optim.AdamW(params, lr=preset["lr"], weight_decay=preset["weight_decay"])
    trainee = _Trainee(model, crit)
    if place.distributed:
        trainee = torch.nn.parallel.DistributedDataParallel(
            trainee, device_ids=[place.device.index] if place.device.type == "cuda" else None)
    step, elapsed = 0, 0.0
    history: dict = {"loss": [], "val": []}
    budget_s = None if cfg.steps else 60.0 * float(cfg.minutes if cfg.minutes is not None else preset["minutes"])
    ckpt_path = work / "checkpoint.pt"
    if ck is not None:
        if ck["val_classes"] != val_cls:
            raise data.TrainError(f"{cfg.resume}: the checkpoint was made with another split (seed or data differ)")
        try:
            model.load_state_dict(ck["model"])
            crit.load_state_dict(ck["loss"])
            opt.load_state_dict(ck["opt"])
            step, elapsed, history = int(ck["step"]), float(ck["elapsed"]), ck["history"]
            np_rng.bit_generator.state = ck["np_rng"]
            torch.set_rng_state(ck["torch_rng"])
        except (RuntimeError, KeyError, ValueError, TypeError) as exc:
            raise data.TrainError(f"--resume {Path(cfg.resume).name}: the checkpoint does not fit this run's "
                                  f"network or loss (made with other options? {type(exc).__name__})") from None
        log(f"[siamgui-train] resumed from {cfg.resume} at step {step} ({elapsed / 60:.1f} min trained)")

    def save_ckpt():
        if place.main:
            save_checkpoint({"model": model.state_dict(), "loss": crit.state_dict(), "opt": opt.state_dict(),
                             "step": step, "elapsed": elapsed, "history": history,
                             "np_rng": np_rng.bit_generator.state, "torch_rng": torch.get_rng_state(),
                             "val_classes": val_cls, "preset": preset, "seed": cfg.seed,
                             "init": init.source if init is not None else None}, ckpt_path)

    def torch_run(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.from_numpy(np.ascontiguousarray(x, np.float32)).to(place.device)).cpu().numpy()

    def validate(quick: bool) -> dict:
        model.eval()
        emb = evaluate.embed(torch_run, val_inputs)
        model.train()
        if trainable is not None:
            backbones.freeze(model, cfg.train_layers)  # frozen layers stay in eval mode
        return evaluate.evaluate(emb, val_labels, val_groups, seed=cfg.seed, quick=quick)

    def progress() -> float:
        return step / cfg.steps if cfg.steps else elapsed / budget_s

    def draw(rng: np.random.Generator):
        idx, ids = sampler.batch(rng, global_ids=global_ids)
        x = np.stack([source.train_sample(train_ref[i][0], rng, train_ref[i][1]) for i in idx]).astype(np.float32)
        return torch.from_numpy(x), torch.from_numpy(ids)

    batches = _batches(draw, np_rng, cfg.workers, cfg.seed + 7919 * place.rank)
    bar = None
    if cfg.progress and place.main:
        from tqdm import tqdm

        bar = tqdm(total=cfg.steps if cfg.steps else int(budget_s), initial=step if cfg.steps else int(elapsed),
                   unit="step" if cfg.steps else "s", desc=f"training {cfg.preset}", dynamic_ncols=True,
                   file=sys.stdout, mininterval=5.0)
    model.train()
    if trainable is not None:
        backbones.freeze(model, cfg.train_layers)
    last_ck = last_eval = last_log = elapsed
    eval_every_steps = max(1, cfg.steps // 4) if cfg.steps else None
    while progress() < 1.0:
        t0 = time.time()
        for g in opt.param_groups:
            g["lr"] = _schedule(progress(), preset["lr"])
        x, y = next(batches)
        loss = trainee(x.to(place.device, non_blocking=True), y.to(place.device, non_blocking=True))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        dt = time.time() - t0
        elapsed = distributed.agree_max(elapsed + dt, place)
        history["loss"].append((step, float(loss.item())))
        if bar is not None:
            bar.update(1 if cfg.steps else int(elapsed) - bar.n)
            bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
        if cfg.log_every and elapsed - last_log >= cfg.log_every and place.main:
            log(f"step {step} ({elapsed / 60:.1f} min) loss {loss.item():.3f}")
            last_log = elapsed
        due = (step % eval_every_steps == 0) if cfg.steps else (elapsed - last_eval >= cfg.eval_every)
        if have_val and due and progress() < 1.0 and place.main:
            v = validate(quick=True)
            history["val"].append({"step": step, "elapsed": elapsed, **{k: v[k] for k in v if k in (
                "auc", "eer", "one_shot_5", "one_shot_20")}})
            last_eval = elapsed
            msg = f"step {step} ({elapsed / 60:.1f} min) loss {loss.item():.3f} val EER {v['eer']:.2%} AUC {v['auc']:.4f}"
            if "one_shot_20" in v:
                msg += f" 20-way {v['one_shot_20']:.1%}"
            (bar.write if bar is not None else log)(msg)
        if elapsed - last_ck >= cfg.checkpoint_every:
            save_ckpt()
            last_ck = elapsed
    if bar is not None:
        bar.close()
    save_ckpt()
    distributed.barrier(place)
    if not place.main:  # rank 0 alone evaluates and exports
        distributed.teardown(place)
        return {"rank": place.rank, "steps": step}
    model.eval()
    model.to("cpu")
    place = distributed.Place(device=torch.device("cpu"), rank=0, world=1)  # the rest runs on rank 0's CPU

    # --- final figures on the held-out classes, the threshold at their EER point
    figures: dict = {}
    threshold = 0.5
    if have_val:
        figures = validate(quick=False)
        threshold = figures["threshold"]
        history["val"].append({"step": step, "elapsed": elapsed, **{k: figures[k] for k in figures if k in (
            "auc", "eer", "one_shot_5", "one_shot_20")}})
    shown = {k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()}
    held = (f"{how['val_samples']} held-out samples of {len(val_cls)} classes" if how.get("split_by") == "sample"
            else f"{len(val_cls)} held-out classes")
    log(f"[siamgui-train] validation ({held}): {json.dumps(shown)}")

    name = cfg.name or Path(cfg.out).stem
    card = ModelCard(
        name=name, modality=preset["modality"], preprocess=dict(spec), metric="cosine", threshold=float(threshold),
        description=preset["description"], embedding_dim=embedding_dim,
        metrics={k: v for k, v in figures.items()} | {"threshold_rule": "EER point on validation pairs"}
        | ({"seed_reported": cfg.reported} if cfg.reported else {}),
        provenance={
            "data": [str(d) for d in cfg.data_dirs], "preset": cfg.preset, "loss": preset["loss"],
            "batch": f"{sampler.p} classes x {preset['k']}", "steps": step, "seed": cfg.seed,
            "split": {**how, "train_class_names": list(train_cls),
                      **({"excluded_from": Path(cfg.exclude_classes_from).name} if cfg.exclude_classes_from else {})},
            "train_classes": len(train_cls), "train_layers": cfg.train_layers,
            "skipped": skipped.as_dict(), "command": cfg.command,
            "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "train_minutes": round(elapsed / 60, 2), "torch": torch.__version__, "machine": platform.machine(),
            "backbone": preset["backbone"], "class_rotations": variants,
            "speed_classes": list(getattr(source, "speeds", (1.0,))[1:]),
            "hue_classes": list(getattr(source, "hues", (0.0,))[1:]),
            "groups_per_batch": preset.get("groups_per_batch"),
            **({"data_licence": cfg.data_licence} if cfg.data_licence else {}),
            **({"samples": cfg.samples_note} if cfg.samples_note else {}),
        },
    )
    flat = np.concatenate(val_inputs[:64]) if val_inputs else np.stack(
        [source.train_sample(i, np_rng) for i in tr_idx[:16]])
    c, h, w = preprocess.input_shape(spec)
    out, diff = export.export(model, (c, h, w), cfg.out, card, flat[:64])
    log(f"[siamgui-train] exported {out} ({out.stat().st_size / 1e6:.2f} MB); parity torch vs onnxruntime on "
        f"{min(64, len(flat))} real inputs: max abs diff {diff:.2e}")

    # the exported file, loaded by the app's own engine, on real files: same embeddings as torch?
    app_diff = _app_check(out, model, spec, [source.items[i].path for i in (va_idx or tr_idx)[:6]])
    if app_diff is not None:
        log(f"[siamgui-train] app engine (Encoder.load + embed on files) vs torch: max abs diff {app_diff:.2e}")

    wall = time.time() - t_start
    report = {"preset": cfg.preset, "out": str(out), "size_bytes": out.stat().st_size, "metrics": figures,
              "threshold": threshold, "parity_max_abs_diff": diff, "app_max_abs_diff": app_diff,
              "steps": step, "train_minutes": elapsed / 60, "wall_minutes": wall / 60, "split": how,
              "skipped": skipped.as_dict(), "history_val": history["val"], "command": cfg.command}
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
