"""DEC/IDEC time per epoch: the estimator against a bare PyTorch loop (and ClustPy).

All implementations train the same d-500-500-2000-10 MLP at DEC's default batch size
and learning rates on the same data, one after the other in this process, interleaved
(for each repeat and variant: ours, bare, ClustPy). Each run is short: a few
pretraining epochs, k-means, a few clustering epochs (``tol=0``); seconds per epoch are
the means over a run's epochs, then the median over the repeats (one per seed).
"""

import math
import statistics
import time

import numpy as np

from benchmarks._harness import Report, epoch_cpu_seconds, load, optional, scores

DATASETS = ("fashion10k",)
EPOCHS = 2  # per phase and run; --quick: 1
PHASES = ("pretrain", "clustering")


def _ours(X, variant, seed, epochs, ctx):
    from skdeepcluster import DEC

    batches = math.ceil(len(X) / DEC().batch_size)
    model = DEC(n_clusters=10, pretrain_epochs=epochs, max_iter=epochs * batches, tol=0.0,
                gamma=0.1 if variant == "idec" else None, random_state=seed, **ctx.est())
    with epoch_cpu_seconds({}) as cpu:
        model.fit(X)
    assert model.n_iter_ == epochs * batches, model.n_iter_
    return {"pretrain_cpu": statistics.fmean(cpu["AutoencoderNet"]),
            "pretrain_wall": statistics.fmean(model.pretrain_history_[:, "dur"]),
            "clustering_cpu": statistics.fmean(cpu["ClusteringNet"]),
            "clustering_wall": statistics.fmean(model.history_[:, "dur"]),
            "labels": model.labels_}


def _bare(X, variant, seed, epochs, ctx):
    """A hand-written loop on the package's modules, as a user would write it."""
    import torch
    from torch.nn import functional as F

    from skdeepcluster import DEC
    from skdeepcluster.base import resolve_device
    from skdeepcluster.cluster_init import kmeans
    from skdeepcluster.nn import ClusteringModel, MLPAutoencoder, target_distribution

    defaults = DEC()
    bs, n = defaults.batch_size, len(X)
    device = resolve_device(ctx.device or "auto")
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    scale = defaults.input_rms / float(np.sqrt(np.mean(np.square(X))))  # as DEC's input_rms
    Xt = torch.as_tensor(X * scale, dtype=torch.float32, device=device)
    ae = MLPAutoencoder(X.shape[1], tuple(defaults.hidden_dims), defaults.embedding_dim).to(device)
    timing = {}

    def epoch(phase, step, before=None):
        w0, c0 = time.perf_counter(), time.process_time()
        extra = before() if before else None
        perm = torch.randperm(n, generator=gen).to(device)
        for start in range(0, n, bs):
            loss = step(perm[start:start + bs], extra)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss.item()  # what a loop that logs its loss pays
        timing.setdefault(phase + "_wall", []).append(time.perf_counter() - w0)
        timing.setdefault(phase + "_cpu", []).append(time.process_time() - c0)

    opt = torch.optim.Adam(ae.parameters(), lr=defaults.pretrain_lr)
    ae.train()
    for _ in range(epochs):
        epoch("pretrain", lambda idx, _: F.mse_loss(ae(Xt[idx]), Xt[idx]))
    ae.eval()
    with torch.no_grad():
        z = torch.cat([ae.encode(Xt[i:i + bs]) for i in range(0, n, bs)])
    centers, _ = kmeans(z, 10, n_init=defaults.n_init, random_state=np.random.RandomState(seed),
                        device=device)
    model = ClusteringModel(ae, torch.as_tensor(centers, dtype=torch.float32, device=device),
                            keep_decoder=variant == "idec").to(device)
    opt = torch.optim.Adam(model.parameters(), lr=defaults.lr)

    def soft_assign_all():
        model.eval()
        with torch.no_grad():
            q = torch.cat([model.soft_assign(Xt[i:i + bs]) for i in range(0, n, bs)])
        model.train()
        return q

    def clustering_step(idx, p_all):
        q, _, recon = model(Xt[idx])
        loss = F.kl_div(q.clamp_min(1e-12).log(), p_all[idx], reduction="batchmean")
        return loss if variant == "dec" else F.mse_loss(recon, Xt[idx]) + 0.1 * loss

    for _ in range(epochs):  # one full-data target distribution per epoch, as ours
        epoch("clustering", clustering_step, lambda: target_distribution(soft_assign_all()))
    labels = soft_assign_all().argmax(1).cpu().numpy()
    return {k: statistics.fmean(v) for k, v in timing.items()} | {"labels": labels}


def _clustpy(X, variant, seed, epochs, ctx):
    """ClustPy's DEC/IDEC with the same layers (ReLU), batch size and epochs."""
    import torch
    import clustpy.deep.dec as cdec
    from clustpy.deep import DEC, IDEC
    from clustpy.deep.neural_networks import FeedforwardAutoencoder
    from clustpy.deep.neural_networks._abstract_neural_network import _AbstractNeuralNetwork

    from skdeepcluster import DEC as OurDEC
    from skdeepcluster.base import resolve_device

    phases, originals = {}, (_AbstractNeuralNetwork.fit, cdec._DEC_Module.fit)

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            w0, c0 = time.perf_counter(), time.process_time()
            out = fn(*args, **kwargs)
            phases[name + "_wall"] = (time.perf_counter() - w0) / epochs
            phases[name + "_cpu"] = (time.process_time() - c0) / epochs
            return out
        return wrapper

    _AbstractNeuralNetwork.fit = timed("pretrain", originals[0])
    cdec._DEC_Module.fit = timed("clustering", originals[1])
    try:
        network = (FeedforwardAutoencoder, {"layers": [X.shape[1], 500, 500, 2000, 10],
                                            "activation_fn": torch.nn.ReLU})
        est = (DEC if variant == "dec" else IDEC)(
            n_clusters=10, batch_size=OurDEC().batch_size, pretrain_epochs=epochs,
            clustering_epochs=epochs, embedding_size=10, neural_network=network,
            random_state=seed, device=torch.device(resolve_device(ctx.device or "auto")))
        est.fit(X)
    finally:
        _AbstractNeuralNetwork.fit, cdec._DEC_Module.fit = originals
    return phases | {"labels": est.dec_labels_}


def run(ctx):
    data = load("fashion10k", ctx.quick)
    X, epochs = data.X, 1 if ctx.quick else EPOCHS
    impls = {"ours": _ours, "bare": _bare}
    note = ""
    if optional("clustpy") is not None:
        impls["ClustPy"] = _clustpy
    else:
        note = "ClustPy is not importable here, so its column is left out."
    records = []
    for seed in ctx.seeds:
        for variant in ("dec", "idec"):
            for impl, fn in list(impls.items()):
                ctx.log(f"seed {seed} {variant} {impl}")
                try:
                    res = fn(X, variant, seed, epochs, ctx)
                except Exception as exc:  # ClustPy's API may have moved: drop it, say why
                    if impl != "ClustPy":
                        raise
                    note = f"ClustPy failed ({type(exc).__name__}: {exc}), so its column is left out."
                    del impls[impl]
                    records = [r for r in records if r["impl"] != impl]
                    continue
                labels = res.pop("labels")
                rec = {"variant": variant, "impl": impl, "seed": seed,
                       **{k: round(v, 4) for k, v in res.items()}, **scores(data.y, labels)}
                records.append(rec)
                ctx.log(" ".join(f"{k} {v}" for k, v in rec.items()))
    return _report(ctx, data, epochs, list(impls), records, note)


def _report(ctx, data, epochs, impls, records, note):
    from skdeepcluster import DEC

    defaults = DEC()

    def med(variant, impl, key):
        return statistics.median(r[key] for r in records
                                 if r["variant"] == variant and r["impl"] == impl)

    lines = ["## Settings", "",
             f"{data.description}; network {data.X.shape[1]}-500-500-2000-10 (DEC's default), "
             f"batch {defaults.batch_size} (DEC's default, {math.ceil(len(data.X) / defaults.batch_size)} "
             f"batches per epoch), Adam at DEC's default rates ({defaults.pretrain_lr:g} "
             f"pretraining, {defaults.lr:g} clustering). Each run: {epochs} pretraining epoch(s), "
             f"k-means ({defaults.n_init} restarts, not in the per-epoch times), {epochs} "
             "clustering epoch(s), each with one full-data target distribution; IDEC adds the "
             "reconstruction loss (gamma=0.1). *ours*: `DEC(n_clusters=10, pretrain_epochs=E, "
             "max_iter=E × batches, tol=0, random_state=seed)`, otherwise the defaults (fused "
             "Adam), CPU seconds taken at skorch's epoch hooks. *bare*: the same modules in a "
             "hand-written loop with `torch.optim.Adam` (not fused). "
             + (note + " " if note else "")
             + f"{len(ctx.seeds)} repeat(s), interleaved; medians over the repeats.", "",
             "## Seconds per epoch, CPU (wall)", "",
             "| variant | implementation | pretraining | clustering | ACC / NMI after the short run |",
             "| --- | --- | --- | --- | --- |"]
    for variant in ("dec", "idec"):
        for impl in impls:
            cells = [f"{med(variant, impl, p + '_cpu'):.3f} ({med(variant, impl, p + '_wall'):.3f})"
                     for p in PHASES]
            lines.append(f"| {variant.upper()} | {impl} | {' | '.join(cells)} | "
                         f"{med(variant, impl, 'acc'):.3f} / {med(variant, impl, 'nmi'):.3f} |")
    others = [i for i in impls if i != "ours"]
    lines += ["", "## Ratios of the medians, CPU (wall); below 1: ours is faster", "",
              "| variant | phase | " + " | ".join(f"ours / {o}" for o in others) + " |",
              "| --- | --- | " + " | ".join("---" for _ in others) + " |"]
    ratios = {}
    for variant in ("dec", "idec"):
        for phase in PHASES:
            cells = []
            for other in others:
                cpu = med(variant, "ours", phase + "_cpu") / med(variant, other, phase + "_cpu")
                wall = med(variant, "ours", phase + "_wall") / med(variant, other, phase + "_wall")
                ratios[(variant, phase, other)] = cpu
                cells.append(f"{cpu:.2f} ({wall:.2f})")
            lines.append(f"| {variant.upper()} | {phase} | {' | '.join(cells)} |")
    lines += ["", "Per repeat, CPU s/epoch (pretraining; clustering):", "",
              "| variant | " + " | ".join(impls) + " |", "| --- | " + " | ".join("---" for _ in impls) + " |"]
    for variant in ("dec", "idec"):
        cells = []
        for impl in impls:
            rs = [r for r in records if r["variant"] == variant and r["impl"] == impl]
            cells.append(" ".join(f"{r['pretrain_cpu']:.2f}" for r in rs) + "; "
                         + " ".join(f"{r['clustering_cpu']:.2f}" for r in rs))
        lines.append(f"| {variant.upper()} | {' | '.join(cells)} |")
    bare = [v for (_, _, o), v in ratios.items() if o == "bare"]
    headline = f"ours / bare CPU time per epoch {min(bare):.2f}–{max(bare):.2f} (DEC, IDEC; both phases)"
    if "ClustPy" in others:
        cp = [v for (_, _, o), v in ratios.items() if o == "ClustPy"]
        headline += f"; ours / ClustPy {min(cp):.2f}–{max(cp):.2f}"
    return Report("\n".join(lines) + "\n", records, headline)
