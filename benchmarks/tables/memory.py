"""Peak resident memory of one default fit of each estimator, against its data size.

Each fit runs in a fresh subprocess (``python -m benchmarks.tables.memory ESTIMATOR``),
so that ``ru_maxrss`` is that fit's own: the process imports everything and loads the
data, reads its peak RSS so far, fits, and reads the peak again.
"""

import json
import resource
import time

from benchmarks import _harness
from benchmarks._harness import Report

DATASETS = ("fashion10k", "basic_motions", "digits", "mfeat")


def _estimators():
    """name -> (dataset, table module with the --quick shrinking, make(data, seed, ctx))."""
    from benchmarks.tables import deepcluster, dec, multimodal, rnn, subspace
    from skdeepcluster import (DEC, DeepCluster, DeepMultimodalSubspaceClustering,
                               DeepSubspaceClustering, MultiTaskRNNClusterer)

    return {
        "DEC": ("fashion10k", lambda d, s, c: DEC(
            n_clusters=d.n_clusters, random_state=s, **c.est(**dec.QUICK))),
        "DeepCluster": ("fashion10k", lambda d, s, c: DeepCluster(
            n_clusters=d.n_clusters, input_shape=(1, 28, 28), random_state=s,
            **c.est(**deepcluster.QUICK))),
        "MultiTaskRNNClusterer": ("basic_motions", lambda d, s, c: MultiTaskRNNClusterer(
            n_clusters=d.n_clusters, random_state=s, **c.est(**rnn.QUICK))),
        "DeepSubspaceClustering": ("digits", lambda d, s, c: DeepSubspaceClustering(
            n_clusters=d.n_clusters, random_state=s, **c.est(**subspace.QUICK))),
        "DeepMultimodalSubspaceClustering": ("mfeat", lambda d, s, c: DeepMultimodalSubspaceClustering(
            n_clusters=d.n_clusters, random_state=s, **c.est(**multimodal.QUICK))),
    }


def _rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def worker(name, seed, quick, device, threads):
    """One fit in this process; prints one JSON line."""
    import torch

    torch.set_num_threads(threads)
    ctx = _harness.Context(table="memory", seeds=[seed], quick=quick, device=device)
    dataset, make = _estimators()[name]
    data = _harness.load(dataset, quick)
    est = make(data, seed, ctx)
    before = _rss_mib()
    start = time.perf_counter()
    est.fit(data.X)
    out = {"estimator": name, "dataset": dataset, "seed": seed, "shape": data.shape,
           "data_mib": round(data.nbytes / 2**20, 2), "rss_before_fit_mib": round(before, 1),
           "peak_rss_mib": round(_rss_mib(), 1), "fit_s": round(time.perf_counter() - start, 1)}
    if torch.cuda.is_available():
        out["peak_gpu_mib"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    print("MEMORY_JSON " + json.dumps(out), flush=True)


def run(ctx):
    records = []
    for name, (dataset, _) in _estimators().items():
        if dataset not in ctx.datasets:
            continue
        rec = _harness.run_worker(ctx, "benchmarks.tables.memory", name, "MEMORY_JSON")
        records.append(rec)
        ctx.log(str(rec))
    gpu = any("peak_gpu_mib" in r for r in records)
    lines = ["One fit per estimator with its defaults (`random_state=%d`), each in a fresh "
             "process. *before fit*: the peak resident memory after the imports and the data; "
             "*peak*: after the fit; *fit adds*: the difference. Data: the array(s) handed to "
             "`fit`, as float32." % ctx.seeds[0], "",
             "| estimator | data | shape | data MiB | before fit MiB | peak MiB | "
             "fit adds MiB | fit adds / data | fit s |" + (" peak GPU MiB |" if gpu else ""),
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |" + (" --- |" if gpu else "")]
    for r in records:
        added = r["peak_rss_mib"] - r["rss_before_fit_mib"]
        lines.append(f"| {r['estimator']} | {r['dataset']} | {r['shape']} | {r['data_mib']:.2f} | "
                     f"{r['rss_before_fit_mib']:.0f} | {r['peak_rss_mib']:.0f} | {added:.0f} | "
                     f"{added / max(r['data_mib'], 1e-9):.0f}× | {r['fit_s']:.1f} |"
                     + (f" {r.get('peak_gpu_mib', '–')} |" if gpu else ""))
    worst = max(records, key=lambda r: r["peak_rss_mib"])
    headline = (f"peak RSS {min(r['peak_rss_mib'] for r in records):.0f}–"
                f"{worst['peak_rss_mib']:.0f} MiB (highest: {worst['estimator']})")
    return Report("\n".join(lines) + "\n", records, headline)


if __name__ == "__main__":
    _harness.worker_main(worker, _estimators())
