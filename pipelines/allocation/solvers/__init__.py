"""Numerical kernels of the allocation strategies: plain numpy/scipy functions on arrays, no
pandas and no strategy objects, so that benchmarks and tests can call them directly."""
