"""A neural allocation policy trained by direct reinforcement on the net Sharpe ratio.

Pure library (numpy / pandas in, arrays out; JAX and optax for training): `features` builds
point-in-time windows, `networks` the policy and its weight layers, `objective` the net-of-cost
Sharpe ratio, `training` the seed ensemble with early stopping and divergence guard,
`walk_forward` the yearly refits and their out-of-sample path. Nothing here reads the lake,
the warehouse or the settings; the caller passes the data and stores the artifacts.
"""
