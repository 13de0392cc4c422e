"""DeepCluster's time per epoch with 1 and 2 data-parallel processes (``torchrun``).

Each configuration is one ``torchrun --standalone --nproc_per_node=P`` launch of
:mod:`benchmarks.tables._scaling_fit` per seed: the default DeepCluster on
Fashion-MNIST 10k as 28×28 images, a few epochs. On the CPU the processes talk
through gloo and the rows are compared with one process on one thread and on as many
threads as the two processes use together (the same cores); with ``--device cuda``,
one process per GPU (1, 2, 4, ... up to the GPUs visible), NCCL.
"""

import json
import os
import statistics
import subprocess
import sys

from benchmarks._harness import REPO, Report, load

DATASETS = ("fashion10k",)
EPOCHS = 3  # per fit; the first epoch is left out of the means (warm-up); --quick: 2


def _configs(ctx):
    """(processes, threads per process) to measure."""
    if ctx.device and ctx.device.startswith("cuda"):
        import torch

        gpus = torch.cuda.device_count()
        return [(p, ctx.threads) for p in (1, 2, 4, 8) if p <= gpus]
    return [(1, 1), (1, 2), (2, 1)]


def _launch(ctx, dataset, seed, epochs, processes, threads):
    path = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
           "PYTHONPATH": path}
    for var in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(var, None)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
           f"--nproc_per_node={processes}", "-m", "benchmarks.tables._scaling_fit", dataset,
           str(seed), str(epochs), ctx.device or "default", "1" if ctx.quick else "0"]
    run = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    if run.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{run.stdout[-2000:]}{run.stderr[-4000:]}")
    return json.loads(lines[0][len("RESULT "):])


def run(ctx):
    epochs = 2 if ctx.quick else EPOCHS
    configs = _configs(ctx)
    records = []
    for dataset in ctx.datasets:
        data = load(dataset, ctx.quick)
        for seed in ctx.seeds:
            for processes, threads in configs:  # interleaved: each seed runs every config
                rec = _launch(ctx, dataset, seed, epochs, processes, threads)
                rec |= {"dataset": dataset, "seed": seed, "threads_per_process": threads,
                        "epoch_mean_s": round(statistics.fmean(rec["epoch_s"][1:]), 3)}
                records.append(rec)
                ctx.log(f"seed {seed} {processes} process(es) × {threads} thread(s): "
                        f"{rec['epoch_mean_s']} s/epoch, NMI {rec['nmi']}")
    return _report(ctx, data, epochs, configs, records)


def _report(ctx, data, epochs, configs, records):
    def med(p, t, key):
        return statistics.median(r[key] for r in records
                                 if r["processes"] == p and r["threads_per_process"] == t)

    base = med(*configs[0], "epoch_mean_s")
    unit = "GPU" if ctx.device and ctx.device.startswith("cuda") else "CPU"
    lines = ["## Settings", "",
             f"{data.description}. `DeepCluster(n_clusters=10, input_shape=(1, 28, 28), "
             f"n_epochs={epochs}, random_state=seed)`, otherwise the defaults (global batch "
             "256: with P processes each takes 256 / P rows of every batch), launched by "
             "`torchrun --standalone --nproc_per_node=P` "
             f"({'NCCL, one GPU per process' if unit == 'GPU' else 'gloo on the CPU'}). "
             "An epoch is DeepCluster's whole epoch: features of all rows (split between "
             "the processes and gathered), PCA-whitening and k-means (on every process), "
             "then the training steps. Seconds per epoch: the mean over the epochs after "
             f"the first, then the median over {len(ctx.seeds)} seed(s).", "",
             f"## Seconds per epoch ({unit})", "",
             "| processes × threads | epoch | features | PCA | k-means | training | "
             "speed-up | NMI |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    speedups = {}
    for p, t in configs:
        epoch = med(p, t, "epoch_mean_s")
        speedups[(p, t)] = base / epoch
        lines.append(
            f"| {p} × {t} | {epoch:.2f} | {med(p, t, 'time_features'):.2f} | "
            f"{med(p, t, 'time_pca'):.2f} | {med(p, t, 'time_kmeans'):.2f} | "
            f"{med(p, t, 'time_train'):.2f} | {speedups[(p, t)]:.2f} | "
            f"{med(p, t, 'nmi'):.3f} |")
    lines += ["", f"Speed-up: seconds per epoch of {configs[0][0]} × {configs[0][1]} divided "
              "by those of the row. NMI after the short fit, median over the seeds. Per "
              "seed, seconds per epoch:", "",
              "| processes × threads | " + " | ".join(f"seed {s}" for s in ctx.seeds) + " |",
              "| --- | " + " | ".join("---" for _ in ctx.seeds) + " |"]
    for p, t in configs:
        cells = [" ".join(f"{v:.2f}" for v in r["epoch_s"]) for r in records
                 if r["processes"] == p and r["threads_per_process"] == t]
        lines.append(f"| {p} × {t} | " + " | ".join(cells) + " |")
    headline = "; ".join(f"{p} × {t}: {med(p, t, 'epoch_mean_s'):.2f} s/epoch "
                         f"(×{speedups[(p, t)]:.2f})" for p, t in configs)
    return Report("\n".join(lines) + "\n", records, f"DeepCluster {unit}, processes × threads: "
                  + headline)
