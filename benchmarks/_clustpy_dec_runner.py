"""Run ClustPy's DEC or IDEC once and print one JSON line with per-phase timings.

Runs in ClustPy's own virtual environment (it does not import skdeepcluster); it is
started by ``bench_dec_speed.py``, which passes the data as ``.npy`` files. The
pretraining loop (``_AbstractNeuralNetwork.fit``, called by
``clustpy.deep._train_utils.get_trained_network``) and the clustering loop
(``clustpy.deep.dec._DEC_Module.fit``) are wrapped with wall and CPU timers.
"""

import argparse
import json
import resource
import sys
import time

import numpy as np


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True, help="X .npy file (float32)")
    parser.add_argument("--labels", required=True, help="y .npy file")
    parser.add_argument("--variant", choices=["dec", "idec"], required=True)
    parser.add_argument("--pretrain-epochs", type=int, required=True)
    parser.add_argument("--clustering-epochs", type=int, required=True)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--activation", choices=["relu", "leaky_relu"], default="relu",
                        help="hidden activation; ClustPy's default is LeakyReLU, ours ReLU")
    args = parser.parse_args()

    import torch
    from sklearn.metrics import normalized_mutual_info_score
    from scipy.optimize import linear_sum_assignment
    from sklearn.metrics.cluster import contingency_matrix

    import clustpy
    import clustpy.deep.dec as cdec
    from clustpy.deep import DEC, IDEC
    from clustpy.deep.neural_networks import FeedforwardAutoencoder
    from clustpy.deep.neural_networks._abstract_neural_network import _AbstractNeuralNetwork

    torch.set_num_threads(args.threads)
    X = np.load(args.data)
    y = np.load(args.labels)
    rss_baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    phases = {}

    def timed(name, fn):
        def wrapper(*a, **k):
            w0, c0 = time.perf_counter(), time.process_time()
            out = fn(*a, **k)
            phases[name] = (time.perf_counter() - w0, time.process_time() - c0)
            return out
        return wrapper

    _AbstractNeuralNetwork.fit = timed("pretrain", _AbstractNeuralNetwork.fit)
    cdec._DEC_Module.fit = timed("clustering", cdec._DEC_Module.fit)

    act = torch.nn.ReLU if args.activation == "relu" else torch.nn.LeakyReLU
    network = (FeedforwardAutoencoder,
               {"layers": [X.shape[1], 500, 500, 2000, 10], "activation_fn": act})
    cls = DEC if args.variant == "dec" else IDEC
    est = cls(n_clusters=10, batch_size=args.batch_size, pretrain_epochs=args.pretrain_epochs,
              clustering_epochs=args.clustering_epochs, embedding_size=10,
              neural_network=network, random_state=args.seed, device=torch.device(args.device))
    w0, c0 = time.perf_counter(), time.process_time()
    est.fit(X)
    fit_wall, fit_cpu = time.perf_counter() - w0, time.process_time() - c0

    def acc(labels_true, labels_pred):
        counts = contingency_matrix(labels_true, labels_pred)
        rows, cols = linear_sum_assignment(counts, maximize=True)
        return float(counts[rows, cols].sum() / len(labels_true))

    result = {
        "impl": "clustpy", "variant": args.variant,
        "pretrain_wall_per_epoch": phases["pretrain"][0] / args.pretrain_epochs,
        "pretrain_cpu_per_epoch": phases["pretrain"][1] / args.pretrain_epochs,
        "clustering_wall_per_epoch": phases["clustering"][0] / args.clustering_epochs,
        "clustering_cpu_per_epoch": phases["clustering"][1] / args.clustering_epochs,
        "fit_wall": fit_wall, "fit_cpu": fit_cpu,
        # DEC's own assignment (argmax Q); ClustPy's labels_ re-cluster with k-means
        "acc": acc(y, est.dec_labels_),
        "nmi": float(normalized_mutual_info_score(y, est.dec_labels_)),
        "acc_kmeans_relabel": acc(y, est.labels_),
        "nmi_kmeans_relabel": float(normalized_mutual_info_score(y, est.labels_)),
        "rss_baseline_kib": rss_baseline,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        **({"peak_gpu_mib": torch.cuda.max_memory_allocated() / 2**20}
           if torch.cuda.is_available() else {}),
        "torch_version": torch.__version__,
        "clustpy_version": getattr(clustpy, "__version__", "unknown"),
        "torch_threads": torch.get_num_threads(),
        "activation": args.activation,
    }
    sys.stdout.write("BENCH_JSON " + json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
