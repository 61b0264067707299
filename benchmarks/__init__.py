"""Benchmarks run by `make bench`; each module `bench_*.py` has a `main()` and writes its figures."""
