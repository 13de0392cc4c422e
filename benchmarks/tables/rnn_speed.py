"""MultiTaskRNNClusterer: where its time goes and how it grows.

Three questions, one run:

1. *Encoder paths*: seconds per pretraining epoch with the fused encoder (one
   ``torch.nn.GRU`` call, which ``kernel_size=1`` allows) against the step-by-step
   ConvGRU loop (the encoder's only path before the fused one, still used for
   ``kernel_size > 1``), on the same weights and data; for the default network and for
   the reference's network (256 units, 2 layers, 64-d embedding, every step read).
2. *Phases of a default fit*: validation and scaling, pretraining, the k-means
   initialisation (``fit_dec_clustering`` with ``max_iter=0``), the spectral assignment,
   on BasicMotions and on a recording of 2,229 windows × 200 steps.
3. *Growth*: default fits on synthetic windows (``make_sensor_windows``) with more
   windows or longer windows, as time per window × step.

Each measurement is repeated once per seed, the variants interleaved; medians over
the repeats.
"""

import statistics
import time
from contextlib import contextmanager

from benchmarks._harness import Report, epoch_cpu_seconds, load, scores

DATASETS = ("basic_motions", "synthetic")
EPOCHS = 6  # pretraining epochs per encoder-path run (--quick: 2); the first is dropped
NETWORKS = {
    "defaults": {},
    "reference (256 units, 2 layers, 64-d, every step)": dict(
        hidden_size=256, num_layers=2, embedding_dim=64, time_stride=1),
}
# (data, network) pairs of the encoder-path section; the reference network on the
# long recording would take minutes per epoch on the step-by-step path
ENCODER_RUNS = [("basic_motions", "defaults"),
                ("basic_motions", "reference (256 units, 2 layers, 64-d, every step)"),
                ("synthetic", "defaults")]
GROWTH = [(557, 200), (1114, 200), (2229, 200), (4458, 200), (2229, 100), (2229, 400),
          (2229, 800)]
QUICK_GROWTH = [(200, 100), (400, 100), (200, 200)]


@contextmanager
def _step_by_step_encoder(enabled):
    """Build every encoder with the fused path switched off (benchmark only)."""
    from skdeepcluster.nn.recurrent import BiConvGRUEncoder

    original = BiConvGRUEncoder.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.fused = False

    if enabled:
        BiConvGRUEncoder.__init__ = init
    try:
        yield
    finally:
        BiConvGRUEncoder.__init__ = original


@contextmanager
def _phase_timer(times):
    """CPU seconds of each named part of ``MultiTaskRNNClusterer.fit``."""
    from skdeepcluster import rnn

    patched = {"pretraining": (rnn, "pretrain_autoencoder"),
               "k-means initialisation": (rnn, "fit_dec_clustering"),
               "spectral assignment": (rnn.MultiTaskRNNClusterer, "_fit_spectral")}
    originals = {name: getattr(owner, attr) for name, (owner, attr) in patched.items()}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            start = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                times[name] = times.get(name, 0.0) + time.process_time() - start
        return wrapper

    for name, (owner, attr) in patched.items():
        setattr(owner, attr, timed(name, originals[name]))
    try:
        yield
    finally:
        for name, (owner, attr) in patched.items():
            setattr(owner, attr, originals[name])


def _synthetic(n, steps, seed=0):
    from skdeepcluster.datasets import make_sensor_windows

    return make_sensor_windows(n, n_timesteps=steps, n_channels=6, n_clusters=4,
                               random_state=seed)


def _encoder_paths(ctx, datasets, epochs):
    from skdeepcluster import MultiTaskRNNClusterer

    records = []
    for seed in ctx.seeds:
        for name, network in ENCODER_RUNS:
            if name not in datasets:
                continue
            X, y = datasets[name]
            for path in ("fused", "step-by-step"):
                with _step_by_step_encoder(path == "step-by-step"), \
                        epoch_cpu_seconds({}) as cpu:
                    est = MultiTaskRNNClusterer(
                        n_clusters=4, pretrain_epochs=epochs, final_clustering="kmeans",
                        random_state=seed, **NETWORKS[network], **ctx.est()).fit(X)
                (cpu,) = cpu.values()  # the pretraining net's epochs; the first warms up
                wall = list(est.pretrain_history_[:, "dur"])[1:]
                rec = {"section": "encoder", "data": name, "network": network, "path": path,
                       "seed": seed, "cpu_per_epoch": round(statistics.fmean(cpu[1:]), 4),
                       "s_per_epoch": round(statistics.fmean(wall), 4),
                       "n_read": est.n_read_, **scores(y, est.labels_)}
                ctx.log(str(rec))
                records.append(rec)
    return records


def _phases(ctx, name, X, seed):
    from skdeepcluster import MultiTaskRNNClusterer

    times = {}
    start, wall = time.process_time(), time.perf_counter()
    with _phase_timer(times):
        est = MultiTaskRNNClusterer(n_clusters=4, random_state=seed, **ctx.est()).fit(X)
    total, wall = time.process_time() - start, time.perf_counter() - wall
    times["validation, scaling, rest"] = total - sum(times.values())
    return est, {"section": "phases", "data": name, "seed": seed, "total": round(total, 3),
                 "wall": round(wall, 3),
                 **{k: round(v, 3) for k, v in times.items()},
                 "pretrain_epochs": est.pretrain_epochs_, "n_read": est.n_read_}


def _growth(ctx, sizes):
    records = []
    for seed in ctx.seeds:
        for n, steps in sizes:
            X, y = _synthetic(n, steps)
            est, rec = _phases(ctx, f"{n} × {steps}", X, seed)
            rec.update(section="growth", n=n, steps=steps,
                       us_per_window_step=round(1e6 * rec["total"] / (n * steps), 3),
                       **scores(y, est.labels_))
            ctx.log(str(rec))
            records.append(rec)
    return records


def run(ctx):
    data = load("basic_motions", ctx.quick)
    epochs = 2 if ctx.quick else EPOCHS
    datasets = {}
    if "basic_motions" in ctx.datasets:
        datasets["basic_motions"] = (data.X, data.y)
    if "synthetic" in ctx.datasets:
        datasets["synthetic"] = _synthetic(*((300, 200) if ctx.quick else (2229, 200)))
    records = _encoder_paths(ctx, datasets, epochs)
    for seed in ctx.seeds:
        for name, (X, y) in datasets.items():
            est, rec = _phases(ctx, name, X, seed)
            rec.update(scores(y, est.labels_))
            ctx.log(str(rec))
            records.append(rec)
    if "synthetic" in ctx.datasets:
        records += _growth(ctx, QUICK_GROWTH if ctx.quick else GROWTH)
    shapes = {name: " × ".join(f"{v:,}" for v in X.shape) for name, (X, _) in datasets.items()}
    return _report(ctx, data, epochs, records, shapes)


def _median(records, key, **match):
    values = [r[key] for r in records if all(r.get(k) == v for k, v in match.items())]
    return statistics.median(values) if values else float("nan")


def _report(ctx, data, epochs, records, shapes):
    lines = ["## Encoder paths: seconds per pretraining epoch", "",
             f"{data.description}, and the synthetic recording below. "
             f"`MultiTaskRNNClusterer(n_clusters=4, pretrain_epochs={epochs}, "
             "final_clustering='kmeans', random_state=seed, **network)`; *step-by-step* builds "
             "the same encoder with its fused path switched off (one ConvGRU cell call per "
             "step and direction). CPU seconds (wall seconds in brackets), taken at skorch's "
             "epoch hooks: mean over the epochs after the first, median over the repeats.", "",
             "| data | network | steps read | fused | step-by-step | step-by-step / fused |",
             "| --- | --- | --- | --- | --- | --- |"]
    headline = []
    for name, network in ENCODER_RUNS:
        m = dict(section="encoder", data=name, network=network)
        cpu = {p: _median(records, "cpu_per_epoch", path=p, **m) for p in ("fused", "step-by-step")}
        wall = {p: _median(records, "s_per_epoch", path=p, **m) for p in ("fused", "step-by-step")}
        if cpu["fused"] != cpu["fused"]:  # NaN: not part of this run
            continue
        ratio = cpu["step-by-step"] / cpu["fused"]
        cells = [f"{cpu[p]:.3f} ({wall[p]:.3f})" for p in ("fused", "step-by-step")]
        lines.append(f"| {name} {shapes[name]} | {network} | {_median(records, 'n_read', **m):.0f} "
                     f"| {' | '.join(cells)} | {ratio:.2f} |")
        headline.append(f"step-by-step / fused encoder {ratio:.2f} ({name}, {network.split(' (')[0]})")
    phase_names = ["validation, scaling, rest", "pretraining", "k-means initialisation",
                   "spectral assignment"]
    lines += ["", "## Where a default fit's time goes (CPU seconds)", "",
              "`MultiTaskRNNClusterer(n_clusters=4, random_state=seed).fit(X)`; the phases are "
              "timed around the functions `fit` calls (medians over the repeats). The synthetic "
              "recording is `make_sensor_windows(2229, n_timesteps=200, n_channels=6, "
              "n_clusters=4, random_state=0)`.", "",
              "| data | pretraining epochs | steps read | " + " | ".join(phase_names)
              + " | total (wall) | NMI |",
              "| --- | --- | --- | " + " | ".join("---" for _ in phase_names) + " | --- | --- |"]
    for name in dict.fromkeys(r["data"] for r in records if r["section"] == "phases"):
        m = dict(section="phases", data=name)
        total = _median(records, "total", **m)
        cells = [f"{_median(records, p, **m):.2f}" for p in phase_names]
        lines.append(f"| {name} {shapes[name]} | {_median(records, 'pretrain_epochs', **m):.0f} | "
                     f"{_median(records, 'n_read', **m):.0f} | {' | '.join(cells)} | "
                     f"{total:.2f} ({_median(records, 'wall', **m):.2f}) | "
                     f"{_median(records, 'nmi', **m):.3f} |")
        headline.append(f"default fit {total:.1f} CPU s on {name} {shapes[name]}")
    growth = [r for r in records if r["section"] == "growth"]
    if growth:
        lines += ["", "## Growth with windows × steps (CPU seconds)", "",
                  "Default fits on `make_sensor_windows(n, n_timesteps=steps, n_channels=6, "
                  "n_clusters=4, random_state=0)`. `pretrain_epochs='auto'` fixes the number of "
                  "optimisation steps and `time_stride='auto'` the steps read, so the training "
                  "cost stays nearly flat; the full-data passes and the k-NN graph grow with "
                  "the number of windows.", "",
                  "| windows | steps | total | pretraining | spectral assignment | "
                  "µs per window × step | NMI |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for n, steps in dict.fromkeys((r["n"], r["steps"]) for r in growth):
            m = dict(section="growth", n=n, steps=steps)
            lines.append(f"| {n:,} | {steps} | {_median(growth, 'total', **m):.2f} | "
                         f"{_median(growth, 'pretraining', **m):.2f} | "
                         f"{_median(growth, 'spectral assignment', **m):.2f} | "
                         f"{_median(growth, 'us_per_window_step', **m):.2f} | "
                         f"{_median(growth, 'nmi', **m):.3f} |")
    return Report("\n".join(lines) + "\n", records, "; ".join(headline))
