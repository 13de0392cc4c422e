"""One module per table; each defines ``DATASETS`` and ``run(ctx) -> Report``."""
