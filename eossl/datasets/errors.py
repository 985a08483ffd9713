"""The error raised for a sample that cannot be used as it is on disk."""


class InvalidSampleError(ValueError):
    """A sample's file or content does not match what the recipe expects.

    The message always names the file (or sample id) and what was expected, e.g.
    ``"S2A_..._B04.tif: expected 1 band, found 3"``. Datasets built with ``skip_invalid=True``
    catch this error, count and log the sample, and draw another; otherwise it propagates.
    """
