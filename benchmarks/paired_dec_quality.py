"""Pair the per-seed lines of two ``bench_dec_quality.py`` runs and summarise them.

Each argument group is ``NAME=FILE[,FILE...][@RUN]``: the JSON lines that
``bench_dec_quality.py`` printed, either one object per seed (its standard output) or
one line per phase (its standard error); lines of the same seed are merged, summaries
are skipped. With ``@RUN``, only lines whose ``"run"`` field is RUN are read (the raw
files that hold several runs tag each line so). Prints, per setting, the mean ± std
over seeds of ACC / NMI / ARI for AE + k-means, DEC and IDEC; then, for the seeds both
settings ran, the mean ± std of the per-seed differences (second minus first) and on
how many seeds the second was higher.

    python benchmarks/paired_dec_quality.py none=a.jsonl,b.jsonl rms2=c.jsonl,d.jsonl
    python benchmarks/paired_dec_quality.py \
        s8=benchmarks/results_dec_session8.jsonl@fashion10k-keras-recipe-bf16 new=e.jsonl
"""

import json
import sys

import numpy as np

PHASES = ("ae_kmeans", "dec", "idec")
METRICS = ("acc", "nmi", "ari")


def load(files, run=None):
    by_seed = {}
    for path in files:
        with open(path) as f:
            for line in f:
                row = json.loads(line)
                if "seed" in row and (run is None or row.get("run") == run):
                    by_seed.setdefault(row["seed"], {}).update(row)
    return {seed: row for seed, row in by_seed.items() if all(p in row for p in PHASES)}


def main(groups):
    runs = {}
    for group in groups:
        name, files = group.split("=", 1)
        files, _, run = files.partition("@")
        runs[name] = load(files.split(","), run or None)
    for name, by_seed in runs.items():
        out = {"setting": name, "seeds": sorted(by_seed)}
        for phase in PHASES:
            for m in METRICS:
                vals = [r[phase][m] for r in by_seed.values()]
                out[f"{phase}_{m}"] = [round(float(np.mean(vals)), 4),
                                       round(float(np.std(vals)), 4)]
        print(json.dumps(out))
    if len(runs) == 2:
        (first, a), (second, b) = runs.items()
        seeds = sorted(set(a) & set(b))
        out = {"paired": f"{second} - {first}", "seeds": seeds}
        for phase in PHASES:
            for m in METRICS:
                diff = np.array([b[s][phase][m] - a[s][phase][m] for s in seeds])
                out[f"{phase}_{m}"] = [round(float(diff.mean()), 4),
                                       round(float(diff.std()), 4), int((diff > 0).sum())]
        print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
