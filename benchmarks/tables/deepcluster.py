"""DeepCluster with its defaults on Fashion-MNIST 10k (28×28 images) and digits (8×8)."""

from benchmarks._harness import Method, run_quality

DATASETS = ("fashion10k", "digits")
SHAPES = {"fashion10k": (1, 28, 28), "digits": (1, 8, 8)}
QUICK = dict(n_epochs=1)


def methods(data, ctx):
    from skdeepcluster import DeepCluster

    shape = SHAPES[data.name]

    def fit(d, seed):
        return DeepCluster(n_clusters=d.n_clusters, input_shape=shape, random_state=seed,
                           **ctx.est(**QUICK)).fit(d.X).labels_

    return [Method(f"DeepCluster (defaults, input_shape={shape})", fit)]


def run(ctx):
    return run_quality(ctx, ctx.datasets, methods)
