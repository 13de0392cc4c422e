"""Speed of DEC/IDEC: skdeepcluster vs a bare PyTorch loop vs ClustPy, side by side.

Same data (a fixed, class-stratified Fashion-MNIST subset), same network
(d-500-500-2000-10 MLP, ReLU, linear embedding and output), same batch size, same
optimiser (Adam, 1e-3 pretraining, 1e-4 clustering), CPU, a fixed number of torch
threads. Every implementation runs in its own subprocess (so that its peak RSS is
its own), and the runs are interleaved (ours, bare, ClustPy, ...) ``--repeats``
times; medians are reported. Wall seconds and CPU seconds (``time.process_time``,
which other jobs on a shared machine distort less) are measured per epoch of each
phase.

* ours: ``skdeepcluster.DEC`` (``gamma=0.1`` for IDEC), ``tol=0`` and
  ``max_iter = epochs * batches per epoch``; wall seconds per epoch are skorch's
  ``history[:, 'dur']``, CPU seconds are taken at the same ``on_epoch_begin`` /
  ``on_epoch_end`` hooks.
* ours-bf16 (only when listed in ``--impls``): the same, with ``mixed_precision=True``
  (bfloat16 autocast in training).
* ours-nodet (only when listed): the same as ours, with the deterministic-kernel scope
  that a seeded fit enters on CUDA (``skdeepcluster.base.cuda_determinism``) replaced by
  a no-op, to time what reproducibility costs on a GPU (on a CPU the scope does nothing).
* bare: the same ``MLPAutoencoder`` and ``ClusteringModel`` modules trained by a
  hand-written loop: shuffled mini-batches by tensor indexing, MSE pretraining,
  then per clustering epoch one full-data P (as ours with ``update_interval='auto'``)
  and per batch KL(P||Q) (+ MSE for IDEC).
* clustpy: ``clustpy.deep.DEC`` / ``IDEC`` in ``/work/venv-clustpy`` (see
  ``_clustpy_dec_runner.py``), with a ``FeedforwardAutoencoder`` whose hidden
  activation is ReLU (ClustPy's default is LeakyReLU; ``--clustpy-activation``).

Usage::

    . /work/venv/bin/activate
    PYTHONPATH=/work/main python benchmarks/bench_dec_speed.py            # full run
    PYTHONPATH=/work/main python benchmarks/bench_dec_speed.py --n-samples 1000 \
        --pretrain-epochs 1 --clustering-epochs 1 --repeats 1           # smoke test

Prints one JSON object on stdout (progress goes to stderr).
"""

import argparse
import contextlib
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CLUSTPY_PYTHON = "/work/venv-clustpy/bin/python"
HIDDEN_DIMS = (500, 500, 2000)
EMBEDDING_DIM = 10
N_CLUSTERS = 10
GAMMA = 0.1  # IDEC weight of the clustering loss (ClustPy's IDEC default too)


# ---------------------------------------------------------------------------------
# shared helpers (workers)
# ---------------------------------------------------------------------------------
def _scores(y, labels):
    from sklearn.metrics import normalized_mutual_info_score

    from skdeepcluster.metrics import cluster_accuracy

    return float(cluster_accuracy(y, labels)), float(normalized_mutual_info_score(y, labels))


def _emit(result):
    import torch

    result["peak_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if torch.cuda.is_available():
        result["peak_gpu_mib"] = torch.cuda.max_memory_allocated() / 2**20
    sys.stdout.write("BENCH_JSON " + json.dumps(result) + "\n")
    sys.stdout.flush()


# ---------------------------------------------------------------------------------
# worker: skdeepcluster
# ---------------------------------------------------------------------------------
def worker_ours(args, X, y, rss_baseline):
    import skorch
    import torch
    from skorch import NeuralNet

    import skdeepcluster.base
    from skdeepcluster import DEC

    if args.no_determinism:
        skdeepcluster.base.cuda_determinism = lambda device: contextlib.nullcontext()
    cpu_epochs = {}  # net class name -> [cpu seconds per epoch]
    wall_epochs = {}
    original_notify = NeuralNet.notify

    def notify(self, method_name, **kwargs):
        if method_name == "on_epoch_begin":
            self._bench_t0 = (time.perf_counter(), time.process_time())
        original_notify(self, method_name, **kwargs)
        if method_name == "on_epoch_end":
            w0, c0 = self._bench_t0
            name = type(self).__name__
            wall_epochs.setdefault(name, []).append(time.perf_counter() - w0)
            cpu_epochs.setdefault(name, []).append(time.process_time() - c0)

    NeuralNet.notify = notify

    batches = math.ceil(len(X) / args.batch_size)
    dec = DEC(n_clusters=N_CLUSTERS, hidden_dims=HIDDEN_DIMS, embedding_dim=EMBEDDING_DIM,
              pretrain_epochs=args.pretrain_epochs, max_iter=args.clustering_epochs * batches,
              tol=0.0, gamma=GAMMA if args.variant == "idec" else None, lr=1e-4,
              batch_size=args.batch_size, device=args.device, random_state=args.seed,
              mixed_precision=args.mixed_precision)
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    w0, c0 = time.perf_counter(), time.process_time()
    dec.fit(X)
    fit_wall, fit_cpu = time.perf_counter() - w0, time.process_time() - c0
    if args.profile:
        profiler.disable()
        profiler.dump_stats(args.profile)

    pre_dur = list(dec.pretrain_history_[:, "dur"])
    clu_dur = list(dec.history_[:, "dur"])
    assert len(pre_dur) == args.pretrain_epochs, pre_dur
    assert len(clu_dur) == args.clustering_epochs, clu_dur
    assert dec.n_iter_ == args.clustering_epochs * batches, dec.n_iter_
    acc, nmi = _scores(y, dec.labels_)
    _emit({
        "impl": ("ours-bf16" if args.mixed_precision else
                 "ours-nodet" if args.no_determinism else "ours"), "variant": args.variant,
        "pretrain_wall_per_epoch": sum(pre_dur) / len(pre_dur),
        "pretrain_cpu_per_epoch": statistics.fmean(cpu_epochs["AutoencoderNet"]),
        "clustering_wall_per_epoch": sum(clu_dur) / len(clu_dur),
        "clustering_cpu_per_epoch": statistics.fmean(cpu_epochs["ClusteringNet"]),
        "pretrain_wall_epochs": pre_dur, "clustering_wall_epochs": clu_dur,
        "fit_wall": fit_wall, "fit_cpu": fit_cpu, "acc": acc, "nmi": nmi,
        "rss_baseline_kib": rss_baseline, "torch_version": torch.__version__,
        "skorch_version": skorch.__version__, "torch_threads": torch.get_num_threads(),
    })


# ---------------------------------------------------------------------------------
# worker: bare PyTorch loop on the same modules
# ---------------------------------------------------------------------------------
def worker_bare(args, X, y, rss_baseline):
    import torch
    from torch.nn import functional as F

    from skdeepcluster.cluster_init import kmeans
    from skdeepcluster.nn import ClusteringModel, MLPAutoencoder, target_distribution

    bs = args.batch_size
    n = len(X)
    w_fit, c_fit = time.perf_counter(), time.process_time()
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    dev = torch.device(args.device)
    Xt = torch.from_numpy(X).to(dev)
    ae = MLPAutoencoder(X.shape[1], HIDDEN_DIMS, EMBEDDING_DIM).to(dev)

    # ---- pretraining: MSE, Adam 1e-3
    opt = torch.optim.Adam(ae.parameters(), lr=1e-3)
    pre_wall, pre_cpu = [], []
    ae.train()
    for _ in range(args.pretrain_epochs):
        w0, c0 = time.perf_counter(), time.process_time()
        perm = torch.randperm(n, generator=gen).to(dev)
        total = 0.0
        for start in range(0, n, bs):
            xb = Xt[perm[start:start + bs]]
            loss = F.mse_loss(ae(xb), xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        pre_wall.append(time.perf_counter() - w0)
        pre_cpu.append(time.process_time() - c0)

    # ---- centroids: k-means (same call as ours)
    with torch.no_grad():
        ae.eval()
        z = torch.cat([ae.encode(Xt[i:i + bs]) for i in range(0, n, bs)])
    centers, _ = kmeans(z, N_CLUSTERS, n_init=20, random_state=np.random.RandomState(args.seed),
                        device=args.device)
    model = ClusteringModel(ae, torch.as_tensor(centers, dtype=torch.float32, device=dev),
                            keep_decoder=args.variant == "idec").to(dev)

    # ---- clustering: P over the whole data once per epoch, KL per batch (+ MSE)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    clu_wall, clu_cpu = [], []
    for _ in range(args.clustering_epochs):
        w0, c0 = time.perf_counter(), time.process_time()
        model.eval()
        with torch.no_grad():
            p = target_distribution(
                torch.cat([model.soft_assign(Xt[i:i + bs]) for i in range(0, n, bs)]))
        model.train()
        perm = torch.randperm(n, generator=gen).to(dev)
        total = 0.0
        for start in range(0, n, bs):
            idx = perm[start:start + bs]
            xb = Xt[idx]
            q, _, recon = model(xb)
            loss = F.kl_div(q.clamp_min(1e-12).log(), p[idx], reduction="batchmean")
            if args.variant == "idec":
                loss = F.mse_loss(recon, xb) + GAMMA * loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        clu_wall.append(time.perf_counter() - w0)
        clu_cpu.append(time.process_time() - c0)

    model.eval()
    with torch.no_grad():
        labels = torch.cat([model.soft_assign(Xt[i:i + bs]) for i in range(0, n, bs)])
    labels = labels.argmax(1).cpu().numpy()
    fit_wall, fit_cpu = time.perf_counter() - w_fit, time.process_time() - c_fit
    acc, nmi = _scores(y, labels)
    _emit({
        "impl": "bare", "variant": args.variant,
        "pretrain_wall_per_epoch": statistics.fmean(pre_wall),
        "pretrain_cpu_per_epoch": statistics.fmean(pre_cpu),
        "clustering_wall_per_epoch": statistics.fmean(clu_wall),
        "clustering_cpu_per_epoch": statistics.fmean(clu_cpu),
        "pretrain_wall_epochs": pre_wall, "clustering_wall_epochs": clu_wall,
        "fit_wall": fit_wall, "fit_cpu": fit_cpu, "acc": acc, "nmi": nmi,
        "rss_baseline_kib": rss_baseline, "torch_version": torch.__version__,
        "torch_threads": torch.get_num_threads(),
    })


def run_worker(args):
    import torch

    torch.set_num_threads(args.threads)
    # import the package up front so that the baseline RSS covers it
    import skdeepcluster  # noqa: F401
    import skorch  # noqa: F401

    X = np.load(args.data)
    y = np.load(args.labels)
    rss_baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    {"ours": worker_ours, "bare": worker_bare}[args.worker](args, X, y, rss_baseline)


# ---------------------------------------------------------------------------------
# driver
# ---------------------------------------------------------------------------------
METRICS = ["pretrain_wall_per_epoch", "pretrain_cpu_per_epoch", "clustering_wall_per_epoch",
           "clustering_cpu_per_epoch", "fit_wall", "fit_cpu", "peak_rss_kib",
           "rss_baseline_kib", "peak_gpu_mib", "acc", "nmi", "acc_kmeans_relabel",
           "nmi_kmeans_relabel"]


def _launch(impl, variant, args, data, labels, env):
    common = ["--data", data, "--labels", labels, "--variant", variant,
              "--pretrain-epochs", str(args.pretrain_epochs),
              "--clustering-epochs", str(args.clustering_epochs),
              "--batch-size", str(args.batch_size), "--threads", str(args.threads),
              "--seed", str(args.seed), "--device", args.device]
    if impl == "clustpy":
        cmd = [args.clustpy_python, os.path.join(HERE, "_clustpy_dec_runner.py"), *common,
               "--activation", args.clustpy_activation]
        # ClustPy's interpreter must not see this repository (it would not import it,
        # but keep the comparison clean); other entries (e.g. carried wheels) stay.
        path = [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                if p and os.path.abspath(p) != REPO]
        env = {k: v for k, v in env.items() if k != "PYTHONPATH"}
        if path:
            env["PYTHONPATH"] = os.pathsep.join(path)
    elif impl == "ours-bf16":
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", "ours", *common,
               "--mixed-precision"]
    elif impl == "ours-nodet":
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", "ours", *common,
               "--no-determinism"]
    else:
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", impl, *common]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_JSON ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{impl}/{variant} failed (rc={proc.returncode}):\n"
                           f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len("BENCH_JSON "):])


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def run_driver(args):
    from skdeepcluster.datasets import load_fashion_mnist

    X, y = load_fashion_mnist(n_samples=args.n_samples, random_state=0)
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = str(args.threads)
    impls = args.impls.split(",")
    variants = args.variants.split(",")
    runs = {(i, v): [] for v in variants for i in impls}
    load_start = os.getloadavg()
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        data, labels = os.path.join(tmp, "X.npy"), os.path.join(tmp, "y.npy")
        np.save(data, np.ascontiguousarray(X, dtype=np.float32))
        np.save(labels, y)
        for rep in range(args.repeats):
            for variant in variants:
                for impl in impls:
                    t0 = time.perf_counter()
                    res = _launch(impl, variant, args, data, labels, env)
                    runs[(impl, variant)].append(res)
                    print(f"[repeat {rep + 1}/{args.repeats}] {impl:7s} {variant:4s} "
                          f"pre {res['pretrain_wall_per_epoch']:.2f}s/ep "
                          f"(cpu {res['pretrain_cpu_per_epoch']:.2f}) "
                          f"clu {res['clustering_wall_per_epoch']:.2f}s/ep "
                          f"(cpu {res['clustering_cpu_per_epoch']:.2f}) "
                          f"acc {res['acc']:.3f} rss {res['peak_rss_kib'] / 1024:.0f}MiB "
                          f"[{time.perf_counter() - t0:.0f}s]", file=sys.stderr, flush=True)
                    # the whole run too, so that a run cut off by a time limit keeps its
                    # full-precision numbers (per-epoch lists included) in the log
                    print("RUN_JSON " + json.dumps(res), file=sys.stderr, flush=True)

    results = {}
    for (impl, variant), reps in runs.items():
        med = {m: statistics.median(r[m] for r in reps) for m in METRICS if m in reps[0]}
        for m in ("peak_rss_kib", "rss_baseline_kib"):
            med[m.replace("_kib", "_mib")] = round(med.pop(m) / 1024, 1)
        med["repeats"] = {m: [r[m] for r in reps] for m in
                          ("pretrain_wall_per_epoch", "pretrain_cpu_per_epoch",
                           "clustering_wall_per_epoch", "clustering_cpu_per_epoch", "acc")}
        med["torch_version"] = reps[0]["torch_version"]
        results.setdefault(variant, {})[impl] = med

    ratios = {}
    pairs = [("ours", "bare"), ("ours", "clustpy"), ("ours-bf16", "ours"),
             ("ours-bf16", "bare"), ("ours-bf16", "clustpy"), ("ours-nodet", "ours"),
             ("ours-nodet", "bare"), ("ours-nodet", "clustpy")]
    for variant, by_impl in results.items():
        for mine, other in pairs:
            if mine not in by_impl or other not in by_impl:
                continue
            ratios.setdefault(variant, {})[f"{mine}/{other}"] = {
                m: round(by_impl[mine][m] / by_impl[other][m], 3)
                for m in ("pretrain_wall_per_epoch", "pretrain_cpu_per_epoch",
                          "clustering_wall_per_epoch", "clustering_cpu_per_epoch",
                          "peak_rss_mib")}

    import skorch
    import torch

    out = {
        "settings": {
            "dataset": f"Fashion-MNIST, stratified subset n_samples={len(X)} (random_state=0)",
            "n_features": int(X.shape[1]), "network": f"{X.shape[1]}-500-500-2000-10 MLP, ReLU",
            "n_clusters": N_CLUSTERS, "batch_size": args.batch_size,
            "batches_per_epoch": math.ceil(len(X) / args.batch_size),
            "pretrain_epochs": args.pretrain_epochs,
            "clustering_epochs": args.clustering_epochs, "repeats": args.repeats,
            "torch_threads": args.threads, "device": args.device, "seed": args.seed,
            "optimizer": "Adam, lr 1e-3 pretraining, 1e-4 clustering",
            "idec_gamma": GAMMA, "clustpy_activation": args.clustpy_activation,
            "order": "interleaved: for each repeat, for each variant: " + ", ".join(impls),
            "statistic": "median over repeats of the per-run mean seconds per epoch",
        },
        "machine": {
            "cpu": _cpu_model(), "logical_cpus": os.cpu_count(),
            "python": platform.python_version(), "torch_ours": torch.__version__,
            "skorch": skorch.__version__,
            "torch_clustpy": (results.get(variants[0], {}).get("clustpy", {})
                              .get("torch_version")),
            "loadavg_start": [round(x, 2) for x in load_start],
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
            "total_wall_s": round(time.perf_counter() - t_start, 1),
        },
        "results": results,
        "ratios": ratios,
    }
    print(json.dumps(out, indent=2))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-samples", type=int, default=10000)
    parser.add_argument("--pretrain-epochs", type=int, default=3)
    parser.add_argument("--clustering-epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu",
                        help="'cuda' on a GPU (all three implementations run there)")
    parser.add_argument("--impls", default="ours,bare,clustpy",
                        help="comma-separated, from ours, ours-bf16 (mixed_precision=True), "
                             "ours-nodet (no deterministic CUDA kernels), "
                             "bare, clustpy")
    parser.add_argument("--variants", default="dec,idec")
    parser.add_argument("--clustpy-python", default=CLUSTPY_PYTHON,
                        help="an interpreter with clustpy installed (e.g. python3 on the GPU machine)")
    parser.add_argument("--clustpy-activation", choices=["relu", "leaky_relu"], default="relu")
    # internal: one implementation in this process
    parser.add_argument("--worker", choices=["ours", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--variant", choices=["dec", "idec"], help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--labels", help=argparse.SUPPRESS)
    parser.add_argument("--mixed-precision", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-determinism", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile", help="with --worker ours: write cProfile stats here")
    args = parser.parse_args()
    if args.worker:
        run_worker(args)
    else:
        run_driver(args)


if __name__ == "__main__":
    main()
