"""Paper-reproduction harnesses: the tables of docs/RESULTS.md, retrained from the configs in ``configs/``.

Not part of the installed engine or app: they read the checkout's ``configs/`` and ``../shared/data``
and write documentation. Run from the checkout root: ``python -m experiments results|transfer|leads|pooled``.
"""
