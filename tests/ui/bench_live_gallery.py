"""Costs of Live's gallery look-ups (issue 10): a job per look-up or a snapshot + product on the UI thread.

Run: PYTHONPATH=. python tests/ui/bench_live_gallery.py (about 10 s; writes only to a temp folder).
"""
import os
import tempfile
import time

import numpy as np
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from siamgui.core.gallery import Gallery
from siamgui.tasks.enrolment import people_for_modality

def timeit(fn, n):
    best = []
    for _ in range(n):
        t = time.perf_counter(); fn(); best.append(time.perf_counter() - t)
    return 1000 * float(np.median(best))

rng = np.random.default_rng(0)
D, H = 128, "m" * 64
for people, per, media_kb in ((50, 5, 300), (200, 5, 300)):
    with tempfile.TemporaryDirectory() as d:
        g = Gallery(os.path.join(d, "g.db"))
        blob = rng.bytes(media_kb * 1024)
        for p in range(people):
            vecs = rng.standard_normal((per, D)).astype(np.float32)
            g.enrol(f"P{p}", [("image", ".png", blob, "camera")] * per, vecs, H, "face")
        q = rng.standard_normal(D).astype(np.float32)
        cold = []
        for _ in range(5):
            g._cache.clear(); t = time.perf_counter(); g.identify(q, H, "euclidean", 0.4, 3); cold.append(time.perf_counter() - t)
        warm = timeit(lambda: g.identify(q, H, "euclidean", 0.4, 3), 200)
        ids, pids, names, vecs = g.matrix(H)
        prod = timeit(lambda: vecs @ q, 500)
        pfm = timeit(lambda: people_for_modality(g, "image"), 5)
        print(f"{people} people x {per} samples ({people*per} rows, D={D}, media {media_kb} KB): "
              f"identify cold {1000*np.median(cold):.2f} ms, warm {warm:.3f} ms, vecs@q {prod:.4f} ms, "
              f"people_for_modality {pfm:.1f} ms")
        g.close()

# round trip of one job through Jobs (submit -> pool -> signal -> slot), the latency a job per look-up adds
from PySide6.QtWidgets import QApplication
from siamgui.ui.jobs import Jobs
app = QApplication([])
jobs = Jobs()
lat = []
for _ in range(200):
    done = []
    t = time.perf_counter()
    jobs.submit(lambda: None, lambda o: done.append(time.perf_counter() - t))
    while not done:
        app.processEvents()
    lat.append(done[0])
print(f"Jobs.submit round trip (empty job): median {1000*np.median(lat):.3f} ms, p95 {1000*np.percentile(lat, 95):.3f} ms")
jobs.shutdown()
