"""The compact encoding: integers (missing = the dtype's extreme value) or float16, decoded
exactly to float32 with NaN by numpy (workers) and torch (the data preprocessor)."""
import numpy as np
import pytest
import torch

from eossl.datasets.compact_arrays import (
    compact_dtype,
    decode_array,
    decode_tensor,
    encode_array,
    valid_mask,
)
from eossl.registry import MODELS


@pytest.mark.parametrize('dtype, values, stored', [
    ('uint16', [np.nan, 0.4, 1.6, 65535.0, 7e4, -3.0], [65535, 0, 2, 65534, 65534, 0]),
    ('int16', [np.nan, -4e4, -2.5, 12.49, 4e4], [-32768, -32767, -2, 12, 32767]),
    ('uint8', [np.nan, 254.7, 9.0], [255, 254, 9]),
])
def test_integers_round_clip_and_mark_missing(dtype, values, stored):
    array = encode_array(np.array(values, np.float32), dtype)
    assert array.dtype == np.dtype(dtype) and array.tolist() == stored
    expected = np.where(np.isnan(values), np.nan, np.array(stored, np.float32))
    np.testing.assert_array_equal(decode_array(array), expected)
    assert valid_mask(array).tolist() == [not np.isnan(v) for v in values]
    tensor = decode_tensor(torch.from_numpy(array))
    assert tensor.dtype == torch.float32
    np.testing.assert_array_equal(tensor.numpy(), expected)


def test_floats_become_float16_and_keep_nan_and_inf():
    values = np.array([np.nan, -np.inf, -20.123, 3.5], np.float32)
    assert compact_dtype(np.float32) == np.float16
    array = encode_array(values, compact_dtype(values.dtype))
    decoded = decode_array(array)
    assert np.isnan(decoded[0]) and decoded[1] == -np.inf and decoded[3] == 3.5
    assert abs(decoded[2] - values[2]) <= 0.008  # float16 at −20 dB
    assert valid_mask(array).tolist() == [False, False, True, True]


def test_sources_keep_their_integer_dtype_and_wide_ones_are_refused():
    assert compact_dtype('uint16') == np.uint16 and compact_dtype('int16') == np.int16
    assert compact_dtype('uint8') == np.uint8 and compact_dtype(bool) == np.uint8
    with pytest.raises(ValueError, match='int32 values do not fit'):
        compact_dtype('int32')


def test_preprocessor_converts_integer_inputs_on_its_device():
    pre = MODELS.build(dict(type='eossl.EODataPreprocessor', mean=[100.0, 200.0],
                            std=[10.0, 20.0]))
    raw = torch.tensor([[[[110, 65535]], [[180, 200]]]], dtype=torch.uint16)  # (1, 2, 1, 2)
    out = pre({'inputs': raw}, training=True)['inputs']
    assert out.dtype == torch.float32
    assert out.tolist() == [[[[1.0, 0.0]], [[-1.0, 0.0]]]]  # 65535 = missing → 0
