"""Hydra config folder for torchgeo-bench (``hydra.searchpath=[pkg://eossl.integrations.torchgeo_bench_conf]``)."""
