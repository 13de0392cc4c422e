"""Probe: does the pretraining optimiser decide DEC's AE + k-means quality on Fashion-MNIST?

Pretrains the default 784-500-500-2000-10 autoencoder on the 10k subset with one
optimiser recipe, and every ``--every`` epochs (the optimiser state kept, through
skorch's ``partial_fit``) prints one JSON line with the reconstruction loss and the
ACC / NMI of k-means (n_init 20) on the embedding. Recipes: Adam lr 1e-3 (ours and
ClustPy's), SGD lr 1 momentum 0.9 (DEC-keras on MNIST / Fashion-MNIST, 300 epochs),
SGD lr 0.1 momentum 0.9 (the DEC paper).

    python benchmarks/probe_pretrain_optimizer.py --recipe sgd1 --epochs 150 --every 25
"""

import argparse
import json
import time

import numpy as np
import torch
from skorch.callbacks import LRScheduler
from torch.optim.lr_scheduler import LambdaLR
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score

from skdeepcluster import cluster_accuracy
from skdeepcluster.datasets import load_fashion_mnist
from skdeepcluster.nn import MLPAutoencoder
from skdeepcluster.training import AutoencoderNet, batched_apply, make_net

RECIPES = {
    "adam": dict(optimizer=torch.optim.Adam, lr=1e-3),
    "sgd1": dict(optimizer=torch.optim.SGD, lr=1.0, optimizer__momentum=0.9),
    "sgd01": dict(optimizer=torch.optim.SGD, lr=0.1, optimizer__momentum=0.9),
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--recipe", choices=sorted(RECIPES), default="sgd1")
    p.add_argument("--epochs", type=int, default=150)
    p.add_argument("--every", type=int, default=25)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=None, help="override the recipe's rate")
    p.add_argument("--warmup-epochs", type=float, default=0,
                   help="linear warm-up of the rate over this many epochs")
    p.add_argument("--input-dropout", type=float, default=0.0,
                   help="denoising: dropout on the input during pretraining (0: plain)")
    p.add_argument("--n-samples", type=int, default=10000,
                   help="class-stratified subset (load_fashion_mnist, random_state=0); 0 = all")
    p.add_argument("--rms", type=float, default=None,
                   help="multiply X by one scalar so that its root mean square is this")
    p.add_argument("--save-embedding", default=None,
                   help="write the final embedding to this .npy file, for offline probes")
    args = p.parse_args()
    torch.set_num_threads(1)
    X, y = load_fashion_mnist(n_samples=args.n_samples or None, random_state=0)
    if args.rms:
        X = X * (args.rms / np.sqrt(np.mean(np.square(X, dtype=np.float64))))
    X = torch.as_tensor(X, dtype=torch.float32)
    torch.manual_seed(args.seed)
    ae = MLPAutoencoder(784, (500, 500, 2000), 10)
    if args.input_dropout:
        encode = ae.encode
        ae.encode = lambda x: encode(torch.nn.functional.dropout(x, args.input_dropout,
                                                                 ae.training))
    recipe = dict(RECIPES[args.recipe])
    if args.lr is not None:
        recipe["lr"] = args.lr
    callbacks = []
    if args.warmup_epochs:
        steps = args.warmup_epochs * -(-len(X) // args.batch_size)
        callbacks.append(("warmup", LRScheduler(
            LambdaLR, lr_lambda=lambda i: min(1.0, (i + 1) / steps), step_every="batch")))
    net = make_net(AutoencoderNet, ae, phase="pretraining", max_epochs=args.every,
                   batch_size=args.batch_size, device="cpu", seed=args.seed, verbose=0,
                   callbacks=callbacks, **recipe)
    net.initialize()
    t0 = time.process_time()
    for done in range(args.every, args.epochs + 1, args.every):
        net.partial_fit(X)
        z = batched_apply(ae, X, lambda m, x: m.encode(x), 1024, "cpu").numpy()
        lab = KMeans(10, n_init=20, random_state=args.seed).fit_predict(z)
        print(json.dumps({"recipe": args.recipe, "lr": recipe["lr"],
                          "warmup_epochs": args.warmup_epochs,
                          "input_dropout": args.input_dropout, "rms": args.rms,
                          "seed": args.seed,
                          "n_samples": len(y), "epochs": done,
                          "batch_size": args.batch_size,
                          "loss": round(float(net.history[-1, "train_loss"]), 5),
                          "acc": round(float(cluster_accuracy(y, lab)), 4),
                          "nmi": round(float(normalized_mutual_info_score(y, lab)), 4),
                          "cpu_s": round(time.process_time() - t0)}), flush=True)
    if args.save_embedding:
        np.save(args.save_embedding, z)


if __name__ == "__main__":
    main()
