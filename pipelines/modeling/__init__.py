"""The pipeline's side of the models: training on the lake's data, the model registry's place
on disk, point-in-time model outputs for the strategies, and the model tables' loader.
`models/` is the library (estimators and maths); this package does its I/O."""
