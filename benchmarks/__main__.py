"""``python -m benchmarks [TABLE] [--seeds ...] [--quick] [--device cuda] ...``"""

import argparse
import os
import sys

from benchmarks import TABLES


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run one benchmark table and rewrite its results file; "
                    "without a table, list them.")
    parser.add_argument("table", nargs="?", choices=list(TABLES))
    parser.add_argument("--seeds", type=int, nargs="+", default=None,
                        help="default: 0 1 2 3 4 (--quick: 0)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: shrunken data and training, 1 seed; writes to "
                             "benchmarks/out/, not to the results files")
    parser.add_argument("--dataset", nargs="+", default=None,
                        help="run only these datasets of the table")
    parser.add_argument("--device", default=None,
                        help="the estimators' device, e.g. cuda (default: their own, 'auto')")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch and BLAS/OpenMP threads (default 1)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="fits run at once, each in its own process with --threads "
                             "threads (default 1; fit times then include the contention)")
    parser.add_argument("--out", default=None,
                        help="write the results files to this folder instead")
    args = parser.parse_args(argv)
    if args.table is None:
        return list_tables()
    # before numpy, torch and scikit-learn load their thread pools
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                "NUMBA_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import importlib
    import time

    import torch

    from benchmarks import _harness

    torch.set_num_threads(args.threads)
    module = importlib.import_module(f"benchmarks.tables.{args.table}")
    datasets = list(module.DATASETS)
    if args.dataset:
        unknown = set(args.dataset) - set(datasets)
        if unknown:
            parser.error(f"table {args.table!r} has the datasets {datasets}, not {sorted(unknown)}")
        datasets = [d for d in datasets if d in args.dataset]
    ctx = _harness.Context(
        table=args.table, seeds=args.seeds or ([0] if args.quick else [0, 1, 2, 3, 4]),
        quick=args.quick, device=args.device, threads=args.threads, jobs=args.jobs,
        datasets=datasets,
        out_dir=args.out, argv=argv)
    head = _harness.header(ctx)
    start = time.perf_counter()
    try:
        report = module.run(ctx)
    except _harness.MissingPackage as exc:
        sys.exit(f"python -m benchmarks {args.table}: {exc}")
    head["wall_s"] = round(time.perf_counter() - start, 1)
    head["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    path = _harness.write(ctx, TABLES[args.table], head, report)
    print(f"{path}\n{report.headline}")


def list_tables():
    from pathlib import Path

    results = Path(__file__).resolve().parent / "results"
    print("python -m benchmarks TABLE [--seeds 0 1 2 3 4] [--quick] [--dataset ...] "
          "[--device cuda] [--threads 1] [--jobs 1]\n")
    for name, question in TABLES.items():
        done = (results / f"{name}.md").exists()
        print(f"  {name:12s} {question}\n  {'':12s} results/{name}.md"
              f"{'' if done else ' (not run yet)'}\n")


if __name__ == "__main__":
    main()
