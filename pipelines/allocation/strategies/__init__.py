"""One module per strategy, named as the strategy (`static_mix` lives in `static_mix.py`), so
the registry imports only the strategies a configuration names."""
