"""DeepCluster with its defaults on Fashion-MNIST 10k (28×28 images), digits (8×8) and the
UCI multiple features pixel view (16×15)."""

from benchmarks._harness import Method, run_quality

DATASETS = ("fashion10k", "digits", "mfeat_pix")
SHAPES = {"fashion10k": (1, 28, 28), "digits": (1, 8, 8), "mfeat_pix": (1, 16, 15)}
QUICK = dict(n_epochs=1)
# the convnet without its image-size rule on the small images: every block pooled and
# 2-pixel shifts, as the rule gives 28×28 images
OPTIONS = {"every block pooled, 2-pixel shifts": dict(pooled=3, shift=2),
           "2-pixel shifts": dict(shift=2)}


def methods(data, ctx):
    import torch

    from skdeepcluster import DeepCluster
    from skdeepcluster.nn import ConvBackbone

    shape = SHAPES[data.name]

    def fit(d, seed, input_neighbors=True, **convnet):
        backbone = None
        if convnet:
            with torch.random.fork_rng():  # the seed draws the weights, as in the defaults
                torch.manual_seed(seed)
                backbone = ConvBackbone(shape[0], shape[1:], (16, 32, 64), 64, **convnet)
        return DeepCluster(n_clusters=d.n_clusters, input_shape=shape, backbone=backbone,
                           input_neighbors=input_neighbors, random_state=seed,
                           **ctx.est(**QUICK)).fit(d.X).labels_

    def option(name, kw):
        args = ", ".join(f"{k}={v}" for k, v in kw.items())
        return Method(f"DeepCluster ({name}: ConvBackbone({args}))",
                      lambda d, seed: fit(d, seed, **kw), role="option")

    rows = [Method(f"DeepCluster (defaults, input_shape={shape})", fit),
            Method("DeepCluster, input_neighbors=False",
                   lambda d, seed: fit(d, seed, input_neighbors=False), role="option")]
    # on 28×28 the rule pools every block and shifts by 2 pixels: the options are the defaults
    return rows + ([] if data.name == "fashion10k" else
                   [option(name, kw) for name, kw in OPTIONS.items()])


def run(ctx):
    return run_quality(ctx, ctx.datasets, methods)
