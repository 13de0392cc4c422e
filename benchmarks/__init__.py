"""Benchmark harness of skdeepcluster: one table per question.

``python -m benchmarks`` lists the tables; ``python -m benchmarks TABLE`` runs one and
rewrites ``benchmarks/results/TABLE.md`` and ``TABLE.jsonl`` (``--quick``: a smoke
test into the git-ignored ``benchmarks/out/``). Each table is a module of
``benchmarks.tables``; the shared code is in ``benchmarks._harness``.
"""

# name -> the question the table answers, in the order of RESULTS.md
TABLES = {
    "dec": "DEC and IDEC (`gamma=0.1`) with their defaults on digits, Fashion-MNIST 10k "
           "and scikit-learn's iris, wine and breast cancer tables, against classical baselines",
    "deepcluster": "DeepCluster with its defaults on Fashion-MNIST 10k (28×28 images), "
                   "digits (8×8 images) and the UCI multiple features pixel view (16×15 "
                   "images), against classical baselines",
    "rnn": "MultiTaskRNNClusterer with its defaults on BasicMotions, JapaneseVowels and "
           "five more offline time-series sets, against classical and time-series baselines",
    "rnn_speed": "MultiTaskRNNClusterer: seconds per epoch of the fused GRU encoder against "
                 "the step-by-step ConvGRU, where a default fit's time goes, and how it "
                 "grows with windows × steps",
    "subspace": "DeepSubspaceClustering with its defaults on digits and scikit-learn's iris, "
                "wine and breast cancer tables, against classical baselines",
    "multimodal": "DeepMultimodalSubspaceClustering with its defaults on UCI multiple "
                  "features (6 views), nutrimouse and digits as two half-images, against "
                  "baselines on the concatenated views",
    "speed": "DEC/IDEC CPU time per epoch: the estimator against a bare PyTorch loop "
             "(and ClustPy) on the same network and batch size",
    "scaling": "DeepCluster time per epoch with 1 and 2 data-parallel processes "
               "(torchrun; gloo on the CPU, one GPU per process with --device cuda)",
    "memory": "Peak resident memory of one default fit of each estimator, against the "
              "size of its data",
    "large": "Data that need not fit in memory: DeepCluster from folders of 10k and 70k "
             "PNG files (time, images/s with 0 and 2 workers, peak memory) and DEC on a "
             "700k × 784 float32 memmap (peak memory)",
}
