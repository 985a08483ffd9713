"""Parity references: run the official PerA, MMEarth and SSLTransformerRS code on seeded inputs
(PerA also for whole training steps and its view pipeline).

Only :mod:`eossl.cli.parity_references` (``eossl-parity-references``) uses this
package, at generation time, with local checkouts of the official repositories; the tests read
the written ``tests/data/parity/*.npz`` files and never import official code.
"""
