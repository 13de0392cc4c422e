"""DEC and IDEC with their defaults on digits, Fashion-MNIST 10k and three tables."""

from benchmarks._harness import Method, run_quality

DATASETS = ("digits", "fashion10k", "iris", "wine", "breast_cancer")
QUICK = dict(pretrain_epochs=1, max_iter=20)  # --quick only


def methods(data, ctx):
    from skdeepcluster import DEC

    def fit(gamma, **options):
        def run(d, seed):
            model = DEC(n_clusters=d.n_clusters, gamma=gamma, random_state=seed, **options,
                        **ctx.est(**QUICK)).fit(d.X)
            return model.labels_, {"n_iter": int(model.n_iter_),
                                   "converged": bool(model.converged_)}
        return run

    return [Method("DEC (defaults)", fit(None)), Method("IDEC (defaults, gamma=0.1)", fit(0.1)),
            Method("DEC, input_neighbors=False", fit(None, input_neighbors=False), role="option"),
            Method("DEC, max_iter=10000", fit(None, max_iter=10000), role="option")]


def run(ctx):
    return run_quality(ctx, ctx.datasets, methods)
