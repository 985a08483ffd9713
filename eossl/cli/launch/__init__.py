"""What the commands of :mod:`eossl.cli` share to launch a run, in one place.

- :mod:`.runner_config`: a recipe plus command-line options → the config a Runner is built from
  (work dir, resume, AMP, launcher, device adaptation) and the runner itself;
- :mod:`.overrides`: ``--cfg-options`` (one parser for every command), ``--cfg-file``,
  ``--tensorboard``;
- :mod:`.interruptions`, :mod:`.work_dir_lock`, :mod:`.stop_signals`: one run per work dir, a
  clean stop on SIGTERM / SIGINT, and the resume command printed after any stop;
- :mod:`.blas_threads`: one OpenBLAS thread per training process;
- :mod:`.preflight`: checks after the runner is built, before training starts.

Imports nothing itself (the checkpoint hook imports :mod:`.stop_signals` during ``import
eossl``). ``--preset cpu-tiny`` lives in :mod:`eossl.engine.presets`.
"""
