"""Small CNN encoders: conv blocks -> global average pooling -> linear -> L2 normalisation; and a
colour-histogram branch a CNN can be joined to (photos of things, where colour tells most)."""

from __future__ import annotations

import math

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


class ColourHistogram(nn.Module):
    """A fixed (unlearned) joint hue / saturation / value histogram of the picture's foreground,
    as a unit vector (square roots of the bin shares: Euclidean distance between two of them is
    the Hellinger distance between the histograms).

    Why in the network: a plain colour histogram already tells most varieties of one fruit apart
    (raw pixels do not), and a CNN trained on a few dozen kinds forgets colour detail that unseen
    kinds need. Built from differentiable ops (soft, linear-interpolated bins; hue bins wrap
    around), it exports to ONNX with the CNN, so the app needs nothing new. Pixels brighter than
    ``white`` in all channels count as background (product photos on white); the input is the
    modality's normalised RGB, undone with ``mean`` and ``std``.
    """

    def __init__(self, bins: tuple[int, int, int] = (12, 12, 12), mean: float = 0.5, std: float = 0.5,
                 white: float = 0.9):
        super().__init__()
        self.bins, self.mean, self.std, self.white = tuple(int(b) for b in bins), float(mean), float(std), float(white)
        for name, n in zip(("kh", "ks", "kv"), self.bins):
            self.register_buffer(name, torch.arange(n, dtype=torch.float32).view(1, n, 1, 1), persistent=False)
        self.dim = self.bins[0] * self.bins[1] * self.bins[2]

    @classmethod
    def from_config(cls, cfg: dict) -> "ColourHistogram":
        """From a preset's ``colour_hist`` entry ({"bins", "mean", "std", "white"}; other keys ignored)."""
        return cls(tuple(cfg.get("bins", (12, 12, 12))), float(cfg.get("mean", 0.5)), float(cfg.get("std", 0.5)),
                   float(cfg.get("white", 0.9)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x * self.std + self.mean).clamp(0, 1)
        r, g, b = x[:, 0], x[:, 1], x[:, 2]
        mx = torch.max(torch.max(r, g), b)
        mn = torch.min(torch.min(r, g), b)
        chroma = mx - mn
        sat = chroma / (mx + 1e-6)
        c = chroma + 1e-6
        hue = torch.where(mx == r, torch.remainder((g - b) / c, 6.0),
                          torch.where(mx == g, (b - r) / c + 2.0, (r - g) / c + 4.0)) / 6.0
        fg = torch.sigmoid((self.white - mn) * 60.0).unsqueeze(1)
        nh, ns, nv = self.bins
        dh = (hue.unsqueeze(1) * nh - self.kh).abs()
        wh = F.relu(1 - torch.min(dh, nh - dh)) * fg
        ws = F.relu(1 - (sat.unsqueeze(1) * (ns - 1) - self.ks).abs())
        wv = F.relu(1 - (mx.unsqueeze(1) * (nv - 1) - self.kv).abs())
        hs = (wh.flatten(2).unsqueeze(2) * ws.flatten(2).unsqueeze(1)).flatten(1, 2)  # (N, nh*ns, pixels)
        hist = torch.bmm(hs, wv.flatten(2).transpose(1, 2)).flatten(1)  # (N, nh*ns*nv)
        hist = hist / (hist.sum(1, keepdim=True) + 1e-6)
        return F.normalize(torch.sqrt(hist + 1e-8), dim=1)


class ColourJoined(nn.Module):
    """``[sqrt(1 - w) * histogram, sqrt(w) * cnn]``: a unit vector whose squared distances are the
    histogram's and the CNN's, weighted ``1 - w`` and ``w``. Trained this way, the CNN learns what
    colour alone gets wrong (shape, texture, spots) instead of learning colour again."""

    def __init__(self, cnn: nn.Module, hist: ColourHistogram, cnn_weight: float, dihedral: bool = False):
        super().__init__()
        self.cnn, self.hist = cnn, hist
        self.a, self.b = math.sqrt(1.0 - cnn_weight), math.sqrt(cnn_weight)
        self.dim = hist.dim + cnn.dim
        self.dihedral = bool(dihedral)

    def _cnn(self, x: torch.Tensor) -> torch.Tensor:
        """The CNN's embedding; with ``dihedral`` (outside training), the mean over the picture's
        four quarter turns and their mirror images, so a photo's orientation cannot move it (the
        histogram needs no such help)."""
        if self.training or not self.dihedral:
            return self.cnn(x)
        flips = [x, x.flip(2), x.flip(3), x.flip(2).flip(3)]  # mirror images and the half turn
        if x.shape[2] == x.shape[3]:  # square: the transposes give the quarter turns
            flips += [f.transpose(2, 3) for f in flips]
        e = self.cnn(torch.cat(flips, dim=0)).reshape(len(flips), x.shape[0], -1).mean(0)
        return F.normalize(e, dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.a * self.hist(x), self.b * self._cnn(x)], dim=1)


def build(cfg: dict) -> nn.Module:
    """The encoder ``cfg`` describes; with ``colour_hist`` ({"bins", "cnn_weight", "mean", "std",
    "white", "dihedral"}), the CNN joined to a colour histogram (:class:`ColourJoined`)."""
    cnn = _conv(cfg)
    ch = cfg.get("colour_hist")
    if not ch:
        return cnn
    return ColourJoined(cnn, ColourHistogram.from_config(ch), float(ch.get("cnn_weight", 0.3)),
                        bool(ch.get("dihedral", False)))


def _conv(cfg: dict) -> ConvEncoder:
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
