"""Where does the time of a DEC/IDEC epoch go? Companion of ``bench_dec_speed.py``.

Two measurements, both on CPU with a fixed thread count:

1. ``--mode overhead``: the per-batch cost of the skorch machinery alone. A tiny
   network (d-8-2) makes the arithmetic negligible, so the seconds per batch of
   ``DEC``'s two phases minus those of the same bare loop are the framework's
   overhead per batch (iterator, callbacks, history, closure, ``.item()`` syncs).
2. ``--mode profile``: cProfile of one ``DEC(gamma=0.1)`` fit at full size; prints
   the functions with the most own time, to show how much is inside torch kernels
   (``addmm``, autograd's ``run_backward``, Adam) versus Python.

Usage::

    PYTHONPATH=/work/main python benchmarks/profile_dec_overhead.py --mode overhead
    PYTHONPATH=/work/main python benchmarks/profile_dec_overhead.py --mode profile
"""

import argparse
import cProfile
import math
import pstats
import statistics
import time

import numpy as np
import torch
from torch.nn import functional as F

from skdeepcluster import DEC
from skdeepcluster.datasets import load_fashion_mnist
from skdeepcluster.nn import ClusteringModel, MLPAutoencoder, target_distribution


def bare_epochs(X, hidden, emb, epochs, bs, gamma, seed=0):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    Xt = torch.from_numpy(X)
    n = len(Xt)
    ae = MLPAutoencoder(X.shape[1], hidden, emb)
    opt = torch.optim.Adam(ae.parameters(), lr=1e-3)
    pre = []
    for _ in range(epochs):
        c0 = time.process_time()
        perm = torch.randperm(n, generator=gen)
        for s in range(0, n, bs):
            xb = Xt[perm[s:s + bs]]
            loss = F.mse_loss(ae(xb), xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss.item()
        pre.append(time.process_time() - c0)
    with torch.no_grad():
        z = ae.encode(Xt)
    model = ClusteringModel(ae, z[:10].clone(), keep_decoder=gamma is not None)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    clu = []
    for _ in range(epochs):
        c0 = time.process_time()
        with torch.no_grad():
            p = target_distribution(torch.cat([model.soft_assign(Xt[i:i + bs])
                                               for i in range(0, n, bs)]))
        perm = torch.randperm(n, generator=gen)
        for s in range(0, n, bs):
            idx = perm[s:s + bs]
            xb = Xt[idx]
            q, _, recon = model(xb)
            loss = F.kl_div(q.clamp_min(1e-12).log(), p[idx], reduction="batchmean")
            if gamma is not None:
                loss = F.mse_loss(recon, xb) + gamma * loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss.item()
        clu.append(time.process_time() - c0)
    return statistics.median(pre), statistics.median(clu)


def ours_epochs(X, hidden, emb, epochs, bs, gamma):
    from skorch import NeuralNet

    cpu = {}
    orig = NeuralNet.notify

    def notify(self, name, **kw):
        if name == "on_epoch_begin":
            self._c0 = time.process_time()
        orig(self, name, **kw)
        if name == "on_epoch_end":
            cpu.setdefault(type(self).__name__, []).append(time.process_time() - self._c0)

    NeuralNet.notify = notify
    try:
        nb = math.ceil(len(X) / bs)
        DEC(10, hidden_dims=hidden, embedding_dim=emb, pretrain_epochs=epochs,
            max_iter=epochs * nb, tol=0, gamma=gamma, batch_size=bs, n_init=1,
            device="cpu", random_state=0).fit(X)
    finally:
        NeuralNet.notify = orig
    return statistics.median(cpu["AutoencoderNet"]), statistics.median(cpu["ClusteringNet"])


def mode_overhead(args):
    X, _ = load_fashion_mnist(n_samples=args.n_samples, random_state=0)
    if args.n_features:
        X = np.ascontiguousarray(X[:, 300:300 + args.n_features])
    nb = math.ceil(len(X) / args.batch_size)
    rows = []
    for gamma in (None, 0.1):
        samples = {"ours": [], "bare": []}
        for _ in range(args.repeats):  # interleaved
            samples["ours"].append(ours_epochs(X, (8,), 2, args.epochs, args.batch_size, gamma))
            samples["bare"].append(bare_epochs(X, (8,), 2, args.epochs, args.batch_size, gamma))
        med = {k: [statistics.median(s[i] for s in v) for i in (0, 1)]
               for k, v in samples.items()}
        for i, phase in enumerate(("pretrain", "clustering")):
            o, b = med["ours"][i], med["bare"][i]
            rows.append((("IDEC" if gamma else "DEC"), phase, o / nb * 1e6, b / nb * 1e6,
                         (o - b) / nb * 1e6))
    print(f"tiny network {X.shape[1]}-8-2, n={len(X)}, batch {args.batch_size} ({nb} batches/epoch), "
          f"{args.threads} thread(s), CPU seconds, median of {args.repeats}")
    print(f"{'':5s} {'phase':11s} {'ours us/batch':>14s} {'bare us/batch':>14s} "
          f"{'overhead us/batch':>18s}")
    for r in rows:
        print(f"{r[0]:5s} {r[1]:11s} {r[2]:14.0f} {r[3]:14.0f} {r[4]:18.0f}")


def mode_profile(args):
    X, _ = load_fashion_mnist(n_samples=args.n_samples, random_state=0)
    nb = math.ceil(len(X) / args.batch_size)
    dec = DEC(10, pretrain_epochs=args.epochs, max_iter=args.epochs * nb, tol=0, gamma=0.1,
              batch_size=args.batch_size, n_init=1, device="cpu", random_state=0)
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    dec.fit(X)
    prof.disable()
    stats = pstats.Stats(prof)
    stats.sort_stats("tottime").print_stats(args.top)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=["overhead", "profile"], default="overhead")
    parser.add_argument("--n-samples", type=int, default=10000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--n-features", type=int, default=0,
                        help="overhead mode: keep only the first N pixel columns (0 = all 784), "
                             "so that the per-op dispatch dominates as it does on a GPU")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    {"overhead": mode_overhead, "profile": mode_profile}[args.mode](args)


if __name__ == "__main__":
    main()
