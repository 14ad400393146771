"""Client accounts on the model portfolios: the book, cash flows, the daily account rebalance
(cash flows first, drift tolerance, block orders), holdings history and returns with flows.

Modules, in the order a run uses them:
- `settings`: config/accounts.yaml (shard size, default drift tolerance, lot, checkpoints);
- `book`, `validate`, `generate`: importing accounts and flows (checked row by row), and
  seeded synthetic books;
- `flows`: recurring contributions and the trading day each flow takes effect on;
- `stage`: a run's inputs, read from the warehouse once and staged per shard;
- `rebalance`: the day's trades of every account on (accounts, symbols) arrays, sized by the
  shared trade arithmetic of `pipelines.portfolio.trading`;
- `simulate`, `shard`, `outputs`, `performance`, `returns`: a shard through the days (fees,
  flows, marks, TWR, MWR) and its staged rows;
- `load`: the single writer (account rows, block orders, checkpoints, performance);
- `statement`: an account statement for a period.
"""
