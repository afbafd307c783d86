"""Reading studies: blinded multi-reader labelling, agreement (kappas with intervals) and adjudication.

``agreement``, ``store`` and ``report`` are plain Python (usable from scripts and benchmarks); the
``*_view`` modules and ``controller`` are the Qt side.
"""
