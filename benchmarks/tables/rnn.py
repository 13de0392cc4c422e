"""MultiTaskRNNClusterer with its defaults on real time-series and sensor recordings.

Every dataset ships offline: BasicMotions with the package, JapaneseVowels,
ItalyPowerDemand, GunPoint, ArrowHead and PickupGestureWiimoteZ with aeon, the
smartwatch exercise recordings with seglearn (cut into windows with
:func:`skdeepcluster.preprocessing.sliding_windows`). Train and test splits are
pooled; the labels are the archive's classes (for the watch, the exercise of the
recording a window comes from). Beside the defaults, the table measures what each
phase contributes: the autoencoder + k-means alone, and + the clustering loss.
"""

import os

import numpy as np

from benchmarks import _harness
from benchmarks._harness import Method, optional_baseline, require, run_quality

DATASETS = ("basic_motions", "japanese_vowels", "watch", "italy_power", "gunpoint",
            "arrowhead", "pickup_gesture")
#: the watch recordings are cut into 1 s windows every 5 s: with 2,229 windows of 200 steps
#: one fit of the DTW k-means baseline took over 5 minutes (284 s at 2,369 x 100 steps)
WATCH_WIDTH, WATCH_STEP = 50, 250
QUICK = dict(pretrain_epochs=2)
#: the tslearn k-means settings of issue 28 (DTW k-means at n_init=2, max_iter=10)
TSLEARN = dict(n_init=2, max_iter=10)


def _znorm(X):
    """Each window and channel z-normalised over time (tslearn's convention)."""
    X = np.asarray(X, np.float64)
    return (X - X.mean(axis=1, keepdims=True)) / (X.std(axis=1, keepdims=True) + 1e-8)


# ---------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------
def _data(name, description, X, y):
    X = np.asarray(X, np.float32)
    _, y = np.unique(y, return_inverse=True)
    flat = ((X - X.mean(axis=(0, 1))) / X.std(axis=(0, 1))).reshape(len(X), -1)
    n, t, c = X.shape
    return _harness.Data(
        name, f"{description}, train + test pooled, {n:,} windows × {t} steps × {c} "
              f"channel{'s' if c > 1 else ''}, {y.max() + 1} classes",
        X, y, int(y.max() + 1), flat.astype(np.float32),
        "each channel standardised over all windows and steps, windows flattened")


def _aeon(name, equal_length=False):
    datasets = require("aeon.datasets", "The UCR/UEA data bundled with aeon")
    from aeon.datasets import load_from_ts_file

    folder = os.path.join(os.path.dirname(datasets.__file__), "data", name)
    parts = [load_from_ts_file(os.path.join(
        folder, f"{name}{'_eq' if equal_length else ''}_{split}.ts")) for split in ("TRAIN", "TEST")]
    X = np.concatenate([np.asarray(x, np.float32).transpose(0, 2, 1) for x, _ in parts])
    return X, np.concatenate([y for _, y in parts])


def _loader(name, description, equal_length=False):
    def load(quick):
        return _data(name, description + " (aeon's bundled copy)", *_aeon(name, equal_length))
    return load


def _watch(quick):
    datasets = require("seglearn.datasets", "The smartwatch recordings (seglearn)")
    from skdeepcluster.preprocessing import sliding_windows

    data = datasets.load_watch()
    windows, labels = [], []
    for recording, label in zip(data["X"], data["y"]):
        w = sliding_windows(recording, WATCH_WIDTH, WATCH_STEP)
        windows.append(w)
        labels.append(np.full(len(w), label))
    return _data("watch", "Smartwatch shoulder exercises (seglearn `load_watch`, 140 "
                 "recordings at 50 Hz, 7 exercises), cut with `sliding_windows(recording, "
                 f"{WATCH_WIDTH}, {WATCH_STEP})`", np.concatenate(windows), np.concatenate(labels))


def _basic_motions(quick):
    from skdeepcluster.datasets import load_basic_motions

    return _data("basic_motions", "BasicMotions (UEA, the package's copy)",
                 *load_basic_motions())


LOADERS = {
    "basic_motions": _basic_motions,
    "japanese_vowels": _loader("JapaneseVowels", "JapaneseVowels (UEA, equal-length version)",
                               equal_length=True),
    "watch": _watch,
    "italy_power": _loader("ItalyPowerDemand", "ItalyPowerDemand (UCR)"),
    "gunpoint": _loader("GunPoint", "GunPoint (UCR)"),
    "arrowhead": _loader("ArrowHead", "ArrowHead (UCR)"),
    "pickup_gesture": _loader("PickupGestureWiimoteZ",
                              "PickupGestureWiimoteZ (UCR, equal-length version)",
                              equal_length=True),
}
for _name, _load in LOADERS.items():
    _harness.LOADERS[_name] = _load


# ---------------------------------------------------------------------------------
# methods
# ---------------------------------------------------------------------------------
def methods(data, ctx):
    from sklearn.cluster import KMeans

    from skdeepcluster import MultiTaskRNNClusterer

    k = data.n_clusters

    def rnn(**params):
        def run(d, seed):
            model = MultiTaskRNNClusterer(n_clusters=k, random_state=seed,
                                          **params, **ctx.est(**QUICK)).fit(d.X)
            return model.labels_, {"pretrain_epochs": int(model.pretrain_epochs_),
                                   "time_stride": int(model.time_stride_),
                                   "n_iter": int(model.n_iter_)}
        return run

    def tskmeans(metric):
        def make(tslearn):
            from tslearn.clustering import TimeSeriesKMeans

            # compile the numba kernels before the timed fits
            TimeSeriesKMeans(2, metric=metric, max_iter=1, random_state=0).fit(
                np.random.RandomState(0).rand(4, 5, 1))

            def run(d, seed):
                extra = dict(max_iter=2) if ctx.quick else {}
                return TimeSeriesKMeans(n_clusters=k, metric=metric, random_state=seed,
                                        **{**TSLEARN, **extra}).fit_predict(_znorm(d.X))
            return run
        return make

    def kshape(tslearn):
        from tslearn.clustering import KShape

        def run(d, seed):
            extra = dict(max_iter=2) if ctx.quick else {}
            return KShape(n_clusters=k, random_state=seed,
                          **{**TSLEARN, **extra}).fit_predict(_znorm(d.X))
        return run

    def umap_kmeans(umap):
        def run(d, seed):
            flat = _znorm(d.X).reshape(len(d.y), -1)
            emb = umap.UMAP(random_state=seed).fit_transform(flat)
            return KMeans(k, n_init=10, random_state=seed).fit_predict(emb)
        return run

    return [
        Method("MultiTaskRNNClusterer (defaults)", rnn()),
        Method("autoencoder + k-means (final_clustering='kmeans')",
               rnn(final_clustering="kmeans"), "option"),
        Method("autoencoder + clustering loss (final_clustering='kmeans', max_iter=100)",
               rnn(final_clustering="kmeans", max_iter=100), "option"),
        optional_baseline("tslearn TimeSeriesKMeans euclidean (n_init=2, max_iter=10), "
                          "z-normalised", "tslearn", tskmeans("euclidean")),
        optional_baseline("tslearn TimeSeriesKMeans DTW (n_init=2, max_iter=10), "
                          "z-normalised", "tslearn", tskmeans("dtw")),
        optional_baseline("tslearn TimeSeriesKMeans soft-DTW (n_init=2, max_iter=10), "
                          "z-normalised", "tslearn", tskmeans("softdtw")),
        optional_baseline("tslearn KShape (n_init=2, max_iter=10), z-normalised", "tslearn",
                          kshape),
        optional_baseline("UMAP + KMeans (n_init=10), z-normalised flattened windows", "umap",
                          umap_kmeans),
    ]


def _summary(records):
    """Mean NMI and fit time of each method over the datasets, as a markdown table."""
    names = list(dict.fromkeys(r["method"] for r in records))
    datasets = list(dict.fromkeys(r["dataset"] for r in records))
    lines = ["## All datasets", "",
             "Each method's mean NMI (and mean fit time) over the seeds, per dataset, and "
             "their means over the datasets (– where a method failed on some seed). The "
             "tslearn baselines' numba kernels are compiled before the timed fits.", "",
             "| method | mean NMI | mean fit s | " + " | ".join(datasets) + " |",
             "| --- | --- | --- | " + " | ".join("---" for _ in datasets) + " |"]
    rows = []
    for m in names:
        per = {}
        for d in datasets:
            ok = [r for r in records if r["method"] == m and r["dataset"] == d and "error" not in r]
            if ok:
                per[d] = (np.mean([r["nmi"] for r in ok]), np.mean([r["fit_s"] for r in ok]))
        if len(per) == len(datasets):
            mean = np.mean([v[0] for v in per.values()])
            secs = np.mean([v[1] for v in per.values()])
        else:
            mean = secs = float("nan")
        rows.append((mean, m, secs, per))
    for mean, m, secs, per in sorted(rows, key=lambda r: -np.nan_to_num(r[0], nan=-1)):
        cells = [f"{per[d][0]:.3f} ({per[d][1]:.1f} s)" if d in per else "–" for d in datasets]
        lines.append(f"| {m} | {mean:.3f} | {secs:.1f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n", rows


def run(ctx):
    report = run_quality(ctx, ctx.datasets, methods)
    summary, rows = _summary(report.records)
    report.markdown = summary + "\n" + report.markdown
    means = {m: mean for mean, m, _, _ in rows}
    ours = means.get("MultiTaskRNNClusterer (defaults)", float("nan"))
    dtw = next((v for m, v in means.items() if "DTW (" in m and "soft" not in m), float("nan"))
    umap = next((v for m, v in means.items() if m.startswith("UMAP")), float("nan"))
    report.headline = (f"mean NMI over {len(ctx.datasets)} datasets: defaults {ours:.3f}, "
                       f"DTW k-means {dtw:.3f}, UMAP + k-means {umap:.3f}; " + report.headline)
    return report
