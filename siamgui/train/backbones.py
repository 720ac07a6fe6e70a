"""Small CNN encoders: conv blocks -> global average pooling -> linear -> L2 normalisation."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def block(cin: int, cout: int, convs: int = 1, pool: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = []
    for j in range(convs):
        layers += [nn.Conv2d(cin if j == 0 else cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                   nn.ReLU(inplace=True)]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class ConvEncoder(nn.Module):
    """``channels`` conv blocks (each halves the resolution), pooling, linear to ``dim``, unit length.

    ``pool="avg"``: global average pooling (images). ``pool="stats"``: for (frequency, time)
    inputs, mean and standard deviation over time only, keeping where in frequency a feature
    sits (the x-vector recipe: a voice is its spectral envelope more than any one moment).
    """

    def __init__(self, in_ch: int = 1, channels: tuple[int, ...] = (64, 64, 64, 64), dim: int = 128,
                 convs: int = 1, dropout: float = 0.0, pool: str = "avg", in_height: int = 0):
        super().__init__()
        blocks, c = [], in_ch
        for o in channels:
            blocks.append(block(c, o, convs))
            c = o
        self.features = nn.Sequential(*blocks)
        self.dropout = nn.Dropout(dropout) if dropout else nn.Identity()
        self.pool = pool
        if pool == "stats":
            height = int(in_height)
            for _ in channels:
                height //= 2
            c = 2 * c * max(1, height)
        self.head = nn.Linear(c, dim)
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.features(x)
        if self.pool == "stats":
            f = f.flatten(1, 2)  # (N, C*F, T)
            mu = f.mean(dim=2)
            sd = torch.sqrt(((f - mu[:, :, None]) ** 2).mean(dim=2) + 1e-5)
            h = torch.cat([mu, sd], dim=1)
        else:
            h = f.mean(dim=(2, 3))
        return F.normalize(self.head(self.dropout(h)), dim=1)


def build(cfg: dict) -> ConvEncoder:
    return ConvEncoder(in_ch=int(cfg.get("in_ch", 1)), channels=tuple(cfg["channels"]), dim=int(cfg["dim"]),
                       convs=int(cfg.get("convs", 1)), dropout=float(cfg.get("dropout", 0.0)),
                       pool=str(cfg.get("pool", "avg")), in_height=int(cfg.get("in_height", 0)))


def _layers(model: nn.Module) -> list[tuple[str, nn.Module, list[nn.Parameter]]]:
    """Modules with weights of their own, in order; a stacked RNN (an LSTM of 3 layers) counts as one
    layer per level (its ``*_l0``, ``*_l1``... parameters), so ``top:N`` can train its upper levels only."""
    out = []
    for n, m in model.named_modules():
        own = list(m.named_parameters(recurse=False))
        if not own:
            continue
        levels = int(getattr(m, "num_layers", 1)) if isinstance(m, nn.RNNBase) else 1
        if levels > 1:
            for k in range(levels):
                out.append((f"{n}.l{k}", m, [q for pn, q in own if pn.split("_l")[-1].split("_")[0] == str(k)]))
        else:
            out.append((n, m, [q for _, q in own]))
    return out


def freeze(model: nn.Module, which: str) -> list[str]:
    """Train only part of a (pretrained) encoder: ``all``, ``head`` (the last layer with weights) or
    ``top:N`` (the last N such layers; each level of a stacked RNN is one). The others keep their
    weights and stay in eval mode (their normalisation statistics too). Returns the names of the
    trained layers."""
    layers = _layers(model)
    if which == "all":
        keep = len(layers)
    elif which == "head":
        keep = 1
    elif which.startswith("top:") and which[4:].isdigit() and int(which[4:]) > 0:
        keep = int(which[4:])
    else:
        from siamgui.train.data import TrainError

        raise TrainError(f"--train-layers must be all, head or top:N (got {which!r})")
    trained = {n for n, _, _ in layers[-keep:]}
    learning = {id(m) for n, m, _ in layers if n in trained}
    for n, m, params in layers:
        on = n in trained
        for q in params:
            q.requires_grad_(on)
        if id(m) not in learning:
            m.eval()
    return sorted(trained)
