"""SeededAlbumentation: MMPose's Albumentation, repeatable under a seed."""

import numpy as np
import pytest
from mmpose.registry import TRANSFORMS

TRANSFORMS_CFG = [
    dict(type='Blur', p=0.5),
    dict(
        type='CoarseDropout',
        max_holes=1,
        max_height=0.4,
        max_width=0.4,
        min_holes=1,
        min_height=0.2,
        min_width=0.2,
        p=1.0,
    ),
]


def outputs(transform_type: str, seed: int, count: int = 4) -> list[np.ndarray]:
    """``count`` samples through a freshly built transform after seeding
    numpy's global generator, as MMEngine does per worker."""
    transform = TRANSFORMS.build(dict(type=transform_type, transforms=TRANSFORMS_CFG))
    np.random.seed(seed)
    image = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    return [transform(dict(img=image.copy()))['img'] for _ in range(count)]


def test_the_same_seed_gives_the_same_samples():
    first, second = outputs('SeededAlbumentation', 3), outputs('SeededAlbumentation', 3)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    # each sample still draws afresh, and another seed draws otherwise
    assert not np.array_equal(first[0], first[1])
    assert not all(np.array_equal(a, b) for a, b in zip(first, outputs('SeededAlbumentation', 4)))


def test_mmpose_albumentation_does_not_repeat_under_a_seed():
    """The cause this transform removes: albumentations seeds its own
    generators from the system, whatever numpy's seed."""
    first, second = outputs('Albumentation', 3), outputs('Albumentation', 3)
    assert not all(np.array_equal(a, b) for a, b in zip(first, second))


def test_bad_transforms_raise_as_mmpose_albumentation_does():
    with pytest.raises(AttributeError), pytest.warns(UserWarning, match='not pixel-level'):
        TRANSFORMS.build(dict(type='SeededAlbumentation', transforms=[dict(type='NoSuchAug')]))
