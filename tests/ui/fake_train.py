"""A stand-in for ``siamgui-train`` in the Train view's tests: prints lines in the trainer's format.

Env: FAKE_TRAIN_LINES (how many step lines, default 6), FAKE_TRAIN_DELAY (seconds between lines),
FAKE_TRAIN_MODEL (an .onnx copied to --out at the end). On SIGTERM it writes workdir/checkpoint.pt
and exits 130, as the real trainer does on Ctrl-C. ``--list`` is answered by the real trainer, so the
view's choices are always the real ones (tests/ui/test_train_view.py also runs the real parser on them).
"""

import os
import shutil
import signal
import sys
import time
from pathlib import Path

args = sys.argv[1:]
if "--list" in args:
    from siamgui.train.cli import main

    sys.exit(main(args))
out = Path(args[args.index("--out") + 1])
work = Path(args[args.index("--workdir") + 1])
work.mkdir(parents=True, exist_ok=True)
(work / "argv.txt").write_text("\n".join(args))


def stop(_sig, _frame):
    (work / "checkpoint.pt").write_text("fake")
    print(f"siamgui-train: interrupted; resume with --resume {work / 'checkpoint.pt'}", flush=True)
    sys.exit(130)


signal.signal(signal.SIGTERM, stop)
start = 0
if "--resume" in args:
    start = 100
    print(f"[siamgui-train] resumed from {args[args.index('--resume') + 1]} at step {start}", flush=True)
print("[siamgui-train] preset fake: {}", flush=True)
n = int(os.environ.get("FAKE_TRAIN_LINES", "6"))
delay = float(os.environ.get("FAKE_TRAIN_DELAY", "0.05"))
for i in range(1, n + 1):
    step = start + 10 * i
    loss = 1.0 / i
    if i % 2 == 0:
        print(f"step {step} ({i * 0.1:.1f} min) loss {loss:.3f} val EER {40.0 / i:.2f}% AUC {1 - 0.4 / i:.4f} "
              f"20-way {50 + 5 * i:.1f}%", flush=True)
    else:
        print(f"step {step} ({i * 0.1:.1f} min) loss {loss:.3f}", flush=True)
    time.sleep(delay)
final = os.environ.get("FAKE_TRAIN_FINAL")  # the real trainer's closing line, JSON figures
if final:
    print(f"[siamgui-train] validation (10 held-out classes): {final}", flush=True)
model = os.environ.get("FAKE_TRAIN_MODEL")
if model:
    shutil.copy(model, out)
print(f"[siamgui-train] exported {out}", flush=True)
