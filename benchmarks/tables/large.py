"""Data that need not fit in memory: DeepCluster on folders of PNG files, DEC on a memmap.

Each fit runs in a fresh subprocess (``python -m benchmarks.tables.large CASE``), so that
``ru_maxrss`` is that fit's own. The data are written once into a cache folder
(``benchmarks/out/cache``, git-ignored): Fashion-MNIST as PNG files (10,000 and all
70,000 images), and a 700,000 × 784 float32 memmap (Fashion-MNIST tiled 10 times,
2.2 GB). Training is short: the table measures throughput and memory, not quality.
"""

import json
import resource
import time

import numpy as np

from benchmarks import _harness
from benchmarks._harness import Report

DATASETS = ("fashion_png_10k", "fashion_png_70k", "memmap_700k")
CACHE = _harness.QUICK_DIR / "cache"
DC_EPOCHS = 2
DEC_SETTINGS = dict(hidden_dims=(256, 64), embedding_dim=10, pretrain="autoencoder",
                    pretrain_epochs=1, max_iter=500, init="kmeans", n_init=1, batch_size=256)

# case -> (dataset, how the data are given, num_workers)
CASES = {
    "dec_memmap_700k": ("memmap_700k", "memmap", 0),
    "dc_array_10k": ("fashion_png_10k", "array", 0),
    "dc_folder_10k_w0": ("fashion_png_10k", "folder", 0),
    "dc_folder_10k_w2": ("fashion_png_10k", "folder", 2),
    "dc_folder_70k_w2": ("fashion_png_70k", "folder", 2),
}


def _rss_mib():
    """Peak resident memory of this process so far, in MiB.

    Linux's ``VmHWM``: ``ru_maxrss`` would start at the parent's resident memory
    (it survives ``exec``), and the parent holds the data while it writes the files.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _fashion(n):
    from skdeepcluster.datasets import load_fashion_mnist

    return load_fashion_mnist(n_samples=None if n >= 70_000 else n, random_state=0)


def png_folder(n, quick=False):
    """A folder of ``n`` Fashion-MNIST PNG files, written once."""
    from PIL import Image

    folder = CACHE / f"fashion_png_{n}{'_quick' if quick else ''}"
    done = folder / ".complete"
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        X, _ = _fashion(n)
        for i, image in enumerate((X * 255).round().astype(np.uint8).reshape(-1, 28, 28)):
            Image.fromarray(image).save(folder / f"{i:05d}.png")
        done.touch()
    return folder


def memmap_file(n_rows):
    """A float32 file of ``n_rows`` × 784: Fashion-MNIST tiled, written once."""
    path = CACHE / f"fashion_tiled_{n_rows}.f32"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        X, _ = _fashion(70_000)
        tmp = path.with_suffix(".part")
        with open(tmp, "wb") as f:
            for start in range(0, n_rows, len(X)):
                X[: n_rows - start].tofile(f)
        tmp.rename(path)
    return path


def _sizes(quick):
    return {"fashion_png_10k": 500 if quick else 10_000,
            "fashion_png_70k": 1_000 if quick else 70_000,
            "memmap_700k": 5_000 if quick else 700_000}


def worker(case, seed, quick, device, threads):
    """One fit in this process; prints one JSON line."""
    import torch

    from skdeepcluster import DEC, DeepCluster
    from skdeepcluster.datasets import ImageFolder

    torch.set_num_threads(threads)
    dataset, given, workers = CASES[case]
    n = _sizes(quick)[dataset]
    kwargs = {} if device is None else {"device": device}
    if given == "memmap":
        X = np.memmap(memmap_file(n), dtype=np.float32, mode="r", shape=(n, 784))
        est = DEC(n_clusters=10, random_state=seed, **DEC_SETTINGS, **kwargs)
    else:
        folder = png_folder(n, quick)
        X = (ImageFolder(folder, num_workers=workers) if given == "folder"
             else _fashion(n)[0].reshape(-1, 1, 28, 28))
        est = DeepCluster(n_clusters=10, input_shape=(1, 28, 28), n_epochs=DC_EPOCHS,
                          final_clustering="kmeans", random_state=seed, **kwargs)
    before = _rss_mib()
    start = time.perf_counter()
    est.fit(X)
    fit_s = time.perf_counter() - start
    out = {"case": case, "dataset": dataset, "input": given, "num_workers": workers,
           "n_samples": n, "seed": seed, "rss_before_fit_mib": round(before, 1),
           "peak_rss_mib": round(_rss_mib(), 1), "fit_s": round(fit_s, 1)}
    if given == "memmap":
        out["file_mib"] = round(n * 784 * 4 / 2**20, 1)
        out["n_iter"] = int(est.n_iter_)
    else:
        out["images_per_s"] = round(n * DC_EPOCHS / fit_s, 1)
        out["features_mib"] = round(n * est.net_.module_.head.in_features * 4 / 2**20, 1)
    if torch.cuda.is_available():
        out["peak_gpu_mib"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    print("LARGE_JSON " + json.dumps(out), flush=True)


def _prepare(dataset, quick):
    """Write the files of ``dataset`` (in this process, not in the measured ones)."""
    n = _sizes(quick)[dataset]
    return memmap_file(n) if dataset == "memmap_700k" else png_folder(n, quick)


def run(ctx):
    records = []
    for case, (dataset, _, _) in CASES.items():
        if dataset not in ctx.datasets:
            continue
        _prepare(dataset, ctx.quick)
        rec = _harness.run_worker(ctx, "benchmarks.tables.large", case, "LARGE_JSON")
        records.append(rec)
        _harness._progress(ctx, rec)
        ctx.log(str(rec))
    return Report(_markdown(ctx, records), records, _headline(records))


def _markdown(ctx, records):
    dc = [r for r in records if r["input"] != "memmap"]
    dec = [r for r in records if r["input"] == "memmap"]
    lines = []
    if dec:
        settings = ", ".join(f"{k}={v!r}" for k, v in DEC_SETTINGS.items())
        lines += [
            f"## DEC on a memmap\n\n`DEC(n_clusters=10, {settings})`, "
            f"`random_state={ctx.seeds[0]}`, fitted on a read-only `np.memmap` of "
            "Fashion-MNIST tiled to the number of rows (a short training: it measures "
            "memory).", "",
            "| rows | file MiB | fit s | iterations | before fit MiB | peak MiB | "
            "fit adds MiB |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
        for r in dec:
            lines.append(f"| {r['n_samples']:,} | {r['file_mib']:.0f} | {r['fit_s']:.1f} | "
                         f"{r['n_iter']} | {r['rss_before_fit_mib']:.0f} | "
                         f"{r['peak_rss_mib']:.0f} | "
                         f"{r['peak_rss_mib'] - r['rss_before_fit_mib']:.0f} |")
        lines.append("")
    if dc:
        lines += [
            f"## DeepCluster on Fashion-MNIST PNG files\n\n`DeepCluster(n_clusters=10, "
            f"input_shape=(1, 28, 28), n_epochs={DC_EPOCHS}, final_clustering='kmeans')`, "
            f"`random_state={ctx.seeds[0]}`, one fit per row in a fresh process: from an "
            "`ImageFolder` of PNG files (decoded while training, `num_workers` processes) "
            "or from the same images as one in-memory array. *images/s*: images × epochs "
            "/ fit seconds (each epoch reads every image twice: features, then training). "
            "*features*: the N × feature_dim float32 array the epochs cluster.", "",
            "| input | images | num_workers | fit s | images/s | before fit MiB | "
            "peak MiB | fit adds MiB | features MiB |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for r in dc:
            lines.append(
                f"| {r['input']} | {r['n_samples']:,} | {r['num_workers']} | {r['fit_s']:.1f} | "
                f"{r['images_per_s']:.0f} | {r['rss_before_fit_mib']:.0f} | "
                f"{r['peak_rss_mib']:.0f} | {r['peak_rss_mib'] - r['rss_before_fit_mib']:.0f} | "
                f"{r['features_mib']:.1f} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def _headline(records):
    parts = []
    folder = {r["num_workers"]: r for r in records
              if r["input"] == "folder" and r["dataset"] == "fashion_png_10k"}
    if folder:
        parts.append("DeepCluster from 10k PNG files: " + ", ".join(
            f"{r['images_per_s']:.0f} images/s with num_workers={w}"
            for w, r in sorted(folder.items())))
    for r in records:
        if r["input"] == "memmap":
            parts.append(f"DEC on a {r['file_mib'] / 1024:.1f} GiB memmap: peak RSS "
                         f"{r['peak_rss_mib']:.0f} MiB")
    return "; ".join(parts)


if __name__ == "__main__":
    _harness.worker_main(worker, CASES)
