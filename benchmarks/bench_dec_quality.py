"""Quality of DEC and IDEC on Fashion-MNIST: ACC / NMI / ARI and wall time per seed.

The CPU protocol uses a fixed, class-stratified 10,000-image subset of the pooled
70,000 images (``load_fashion_mnist(n_samples=10000, random_state=0)``), pixels / 255.
For each seed the autoencoder is pretrained once and shared by DEC and IDEC (same
seed, same data: identical to pretraining each separately), then both clustering
phases run from it. Prints one JSON object per seed, then a summary.

Usage::

    python benchmarks/bench_dec_quality.py --seeds 0 1 2 3 4 --n-samples 10000
    # the DEC-keras pretraining recipe (SGD lr 1, momentum 0.9, batch 256)
    python benchmarks/bench_dec_quality.py --seeds 0 1 2 3 4 --batch-size 256 --input-rms none \
        --pretrain-optimizer sgd --pretrain-lr 1 --pretrain-epochs 100 --max-iter 4000
"""

import argparse
import json
import sys
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.preprocessing import StandardScaler

from skdeepcluster import DEC
from skdeepcluster.datasets import load_fashion_mnist
from skdeepcluster.metrics import cluster_accuracy


def scores(y, labels):
    return {"acc": cluster_accuracy(y, labels),
            "nmi": normalized_mutual_info_score(y, labels),
            "ari": adjusted_rand_score(y, labels)}


def run_seed(X, y, seed, args):
    common = dict(n_clusters=10, batch_size=args.batch_size, random_state=seed,
                  mixed_precision=args.mixed_precision, input_rms=args.input_rms)
    start, cpu = time.perf_counter(), time.process_time()
    pre = DEC(**common, pretrain_epochs=args.pretrain_epochs, pretrain_lr=args.pretrain_lr,
              pretrain_optimizer=args.pretrain_optimizer, max_iter=0).fit(X)
    pretrain_s, pretrain_cpu = time.perf_counter() - start, time.process_time() - cpu
    autoencoder = pre.net_.module_.autoencoder.float()
    out = {"seed": seed, "pretrain_s": pretrain_s, "pretrain_cpu_s": pretrain_cpu,
           "ae_kmeans": scores(y, pre.labels_)}
    # Progress on stderr, so that a long run stopped early still leaves its phases.
    print(json.dumps(out), file=sys.stderr, flush=True)
    for name, gamma in [("dec", None), ("idec", 0.1)]:
        start, cpu = time.perf_counter(), time.process_time()
        model = DEC(**common, autoencoder=autoencoder, pretrain_epochs=0, gamma=gamma,
                    lr=args.lr, optimizer=args.optimizer, max_iter=args.max_iter).fit(X)
        out[name] = {**scores(y, model.labels_),
                     "cluster_s": time.perf_counter() - start,
                     "cluster_cpu_s": time.process_time() - cpu,
                     "total_s": pretrain_s + time.perf_counter() - start,
                     "n_iter": model.n_iter_, "converged": bool(model.converged_)}
        print(json.dumps({"seed": seed, name: out[name]}), file=sys.stderr, flush=True)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["fashion-mnist", "digits"],
                        default="fashion-mnist")
    parser.add_argument("--digits-scale", choices=["unit", "raw", "standard"], default="unit",
                        help="digits pixels / 16 (unit), as loaded (0-16), or standardised")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--n-samples", type=int, default=10000, help="0 = all 70,000")
    parser.add_argument("--input-rms", type=lambda v: None if v == "none" else float(v),
                        default=DEC().input_rms,
                        help="DEC(input_rms=...): the root mean square DEC rescales X to; none: off")
    parser.add_argument("--pretrain-epochs", type=int, default=DEC().pretrain_epochs)
    parser.add_argument("--pretrain-lr", type=float, default=DEC().pretrain_lr)
    parser.add_argument("--pretrain-optimizer", choices=["adam", "sgd"],
                        default=DEC().pretrain_optimizer)
    parser.add_argument("--max-iter", type=int, default=DEC().max_iter)
    parser.add_argument("--lr", type=float, default=DEC().lr)
    parser.add_argument("--optimizer", choices=["adam", "sgd"], default=DEC().optimizer,
                        help="of the clustering phase (DEC-keras: sgd, --lr 0.01)")
    parser.add_argument("--batch-size", type=int, default=DEC().batch_size)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--mixed-precision", action="store_true",
                        help="DEC(mixed_precision=True): bfloat16 autocast in training")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.dataset == "digits":
        X, y = load_digits(return_X_y=True)
        if args.digits_scale == "unit":
            X = X / 16.0
        elif args.digits_scale == "standard":
            X = StandardScaler().fit_transform(X)
    else:
        X, y = load_fashion_mnist(n_samples=args.n_samples or None, random_state=0)
    results = []
    for seed in args.seeds:
        results.append(run_seed(X, y, seed, args))
        print(json.dumps(results[-1]), flush=True)
    summary = {"settings": vars(args), "n_samples": len(y), "torch": torch.__version__,
               "device": "cuda" if torch.cuda.is_available() else "cpu"}
    for name in ["ae_kmeans", "dec", "idec"]:
        for key in ["acc", "nmi", "ari"]:
            vals = [r[name][key] for r in results]
            summary[f"{name}_{key}"] = [float(np.mean(vals)), float(np.std(vals))]
    for name in ["dec", "idec"]:
        summary[f"{name}_total_s_mean"] = float(np.mean([r[name]["total_s"] for r in results]))
    print(json.dumps({"summary": summary}))


if __name__ == "__main__":
    main()
