"""Face landmarks from an exported model with numpy, OpenCV and onnxruntime
only: no torch, mmcv, mmengine or MMPose.

:class:`LandmarkRuntime` runs a graph written by
``rr_mmpose.deployment.export_onnx`` (FP32, or INT8 from ``quantize_int8``)
on a BGR image and face boxes the way MMPose's top-down inferencer does
without flip test: ``GetBBoxCenterScale`` (padding) and ``TopdownAffine``
(``use_udp=False``) crop each box, the config's ``PoseDataPreprocessor``
normalisation, the graph, and ``TopdownPoseEstimator``'s mapping of the
keypoints back to the image. The crop and normalisation are read from the
model file (``export_onnx`` stores them in its ``metadata_props``), so the
``.onnx`` file is all it needs.

This file imports nothing but numpy, OpenCV, onnxruntime and the standard
library, and nothing of ``rr_mmpose``: it works on its own. Importing it as
``rr_mmpose.deployment.runtime`` runs the package's ``__init__``, which
imports torch and MMPose; where those are missing, copy this one file next
to your script (``rr_mmpose.deployment.runtime_path()`` says where it is),
or load it from its path::

    import importlib.util
    spec = importlib.util.spec_from_file_location('landmark_runtime', path)
    runtime = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runtime)
    keypoints, scores = runtime.LandmarkRuntime('model.onnx')(image_bgr, boxes)

or run it: ``python runtime.py model.onnx face.jpg --box X0 Y0 X1 Y1``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import warnings
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
import onnxruntime as ort
from numpy.typing import ArrayLike

# The ONNX metadata_props key of the crop and normalisation a model expects
# (a JSON object); export_onnx imports it (and the two below) from here.
PREPROCESSING_KEY = 'rr_mmpose.preprocessing'
# The one crop reproduced here: MMPose's GetBBoxCenterScale followed by
# TopdownAffine without UDP.
TOPDOWN_CROP = 'GetBBoxCenterScale+TopdownAffine'
# MMPose's defaults, for a model file without metadata: ImageNet's mean and
# std of 0-255 RGB values, GetBBoxCenterScale's padding.
DEFAULT_MEAN = (123.675, 116.28, 103.53)
DEFAULT_STD = (58.395, 57.12, 57.375)
DEFAULT_PADDING = 1.25

# The metadata_props keys of a model's precision ('int8' where quantized)
# and of an INT8 model's format; quantize_int8 writes both.
PRECISION_KEY = 'rr_mmpose.precision'
INT8_FORMAT_KEY = 'rr_mmpose.int8_format'
# onnxruntime's x86 INT8 kernels multiply uint8 activations by int8 weights.
# With VNNI or AMX they add the products in 32 bits, exactly. Without them
# (AVX2, and AVX-512 before VNNI) ``vpmaddubsw`` first adds each pair of
# products in 16 bits and saturates: 2 x 255 x 127 = 64770 > 32767. Weights
# kept to 7 bits (onnxruntime's ``reduce_range``: -64..64) cannot overflow,
# 2 x 255 x 64 = 32640, so that format computes exactly on every CPU.
# uint8 weights (U8U8) take kernels that widen to 16 bits first: exact
# everywhere, but slower than FP32 where measured (docs/benchmarks.md#edge).
INT8_FORMATS = {
    'u8s7': 'uint8 activations, 7-bit int8 weights: exact on every CPU',
    'u8s8': (
        'uint8 activations, 8-bit int8 weights: exact with VNNI or AMX and on ARM; '
        'on x86 CPUs without VNNI, pairs of products saturate in 16 bits'
    ),
    'u8u8': 'uint8 activations, uint8 weights: exact on every CPU, slower kernels',
}
PORTABLE_INT8_FORMAT = 'u8s7'


def cpu_isa(cpuinfo: str | None = None) -> dict:
    """The instruction sets onnxruntime's INT8 kernels choose between, read
    from ``/proc/cpuinfo`` (Linux; elsewhere only ``machine`` is known and
    the flags are None).

    Args:
        cpuinfo: The text of a ``/proc/cpuinfo`` to read instead

    Returns:
        dict: ``machine`` (e.g. 'x86_64', 'aarch64'), and booleans ``avx2``,
        ``avx512`` (AVX-512 BW), ``vnni`` (AVX-512 VNNI or AVX-VNNI) and
        ``amx`` (AMX-INT8)
    """
    machine = platform.machine().lower().replace('amd64', 'x86_64')
    isa = dict(machine=machine, avx2=None, avx512=None, vnni=None, amx=None)
    text = cpuinfo
    if text is None:
        try:
            with open('/proc/cpuinfo') as f:
                text = f.read()
        except OSError:
            return isa
    flags = set()
    for line in text.splitlines():
        if line.startswith(('flags', 'Features')):
            flags = set(line.split(':', 1)[1].split())
            break
    isa.update(
        avx2='avx2' in flags,
        avx512='avx512bw' in flags,
        vnni=bool({'avx512_vnni', 'avx_vnni'} & flags),
        amx='amx_int8' in flags,
    )
    return isa


def isa_name(isa: dict | None = None) -> str:
    """``cpu_isa()`` in words, e.g. 'x86_64 AVX-512 VNNI AMX', 'x86_64 AVX2'."""
    isa = isa or cpu_isa()
    if isa['machine'] != 'x86_64' or isa['avx2'] is None:
        return isa['machine']
    names = [isa['machine'], 'AVX-512' if isa['avx512'] else 'AVX2' if isa['avx2'] else 'SSE']
    names += [name for name, key in (('VNNI', 'vnni'), ('AMX', 'amx')) if isa[key]]
    return ' '.join(names)


def int8_saturates(int8_format: str, isa: dict | None = None) -> bool | None:
    """Whether onnxruntime's INT8 kernels can saturate for ``int8_format``
    on this CPU (or ``isa``): True for 8-bit weights on an x86 CPU without
    VNNI or AMX, False where they add in 32 bits or the weights are 7-bit,
    None where the CPU's flags are unknown."""
    if int8_format not in INT8_FORMATS:
        raise ValueError(f'unknown INT8 format {int8_format!r}, not one of {list(INT8_FORMATS)}')
    isa = isa or cpu_isa()
    if int8_format != 'u8s8' or isa['machine'] != 'x86_64':
        return False
    if isa['vnni'] is None:
        return None
    return not (isa['vnni'] or isa['amx'])


def cpu_session(onnx_path: str | os.PathLike, threads: int | None = None) -> ort.InferenceSession:
    """An onnxruntime ``InferenceSession`` of ``onnx_path`` on the CPU.

    Args:
        onnx_path: The ONNX file
        threads: ``intra_op_num_threads`` (None: onnxruntime's default)

    Raises:
        FileNotFoundError: no file at ``onnx_path``
        ValueError: ``threads`` not a positive int, or a file onnxruntime
            cannot load
    """
    path = os.fspath(onnx_path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f'no ONNX model at {path}')
    options = ort.SessionOptions()
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ValueError(f'threads must be a positive int or None, got {threads!r}')
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])
    except Exception as error:  # onnxruntime raises types of its own
        raise ValueError(f'onnxruntime cannot load {path}: {error}') from error


def int8_format(session: ort.InferenceSession) -> str | None:
    """The INT8 format of a model (an onnxruntime session), or None for a
    float model. INT8 files written before the format was recorded used
    8-bit weights: 'u8s8'."""
    metadata = session.get_modelmeta().custom_metadata_map
    if metadata.get(PRECISION_KEY) != 'int8':
        return None
    return metadata.get(INT8_FORMAT_KEY, 'u8s8')


def box_center_scale(
    boxes: np.ndarray, padding: float, aspect_ratio: float
) -> tuple[np.ndarray, np.ndarray]:
    """Centres and sizes of the crops of ``boxes``, as MMPose's
    ``GetBBoxCenterScale`` (box size times ``padding``) and then
    ``TopdownAffine`` (the size widened or heightened to the input's
    ``aspect_ratio`` w / h) compute them, in float32 as they do.

    Args:
        boxes (np.ndarray): (N, 4) float32 (x_min, y_min, x_max, y_max)
        padding (float): Box size factor
        aspect_ratio (float): Input width / height

    Returns:
        tuple: centres (N, 2) and sizes (w, h) (N, 2), float32
    """
    centers = (boxes[:, 2:] + boxes[:, :2]) * 0.5
    scales = (boxes[:, 2:] - boxes[:, :2]) * float(padding)
    w, h = scales[:, :1], scales[:, 1:]
    wide = np.concatenate([w, w / aspect_ratio], axis=1)
    tall = np.concatenate([h * aspect_ratio, h], axis=1)
    return centers, np.where(w > h * aspect_ratio, wide, tall)


def warp_matrix(center: np.ndarray, scale: np.ndarray, input_size: Sequence[int]) -> np.ndarray:
    """The (2, 3) affine map of MMPose's ``get_warp_matrix`` (no rotation,
    no shift, fixed aspect ratio) from image to crop pixels: the box centre
    to the crop centre, the middle of its left edge to the crop's, and a
    third point a right angle from those. The points are float32 and
    ``cv2.getAffineTransform`` solves for the map, as in MMPose, so that
    the crops are the same to the bit.

    Args:
        center (np.ndarray): (2,) float32 box centre
        scale (np.ndarray): (2,) float32 box size (w, h)
        input_size (Sequence[int]): (w, h) of the crop
    """

    def third(a: np.ndarray, b: np.ndarray) -> np.ndarray:  # a - b turned +90 degrees about b
        d = a - b
        return b + np.array([-d[1], d[0]], dtype=a.dtype)

    w, h = input_size
    src = np.zeros((3, 2), np.float32)
    dst = np.zeros((3, 2), np.float32)
    src[0] = center
    src[1] = center.astype(np.float64) + (scale[0] * -0.5, 0.0)
    src[2] = third(src[0], src[1])
    dst[0] = (w * 0.5, h * 0.5)
    dst[1] = (0.0, h * 0.5)
    dst[2] = third(dst[0], dst[1])
    return cv2.getAffineTransform(src, dst)


def normalise(crops: np.ndarray, mean: np.ndarray, std: np.ndarray, bgr_to_rgb: bool) -> np.ndarray:
    """As MMPose's ``PoseDataPreprocessor``: the channels swapped if
    ``bgr_to_rgb``, then ``(x - mean) / std`` in float32.

    Args:
        crops (np.ndarray): (N, h, w, 3) uint8 BGR crops
        mean, std (np.ndarray): (3,) float32, in the (swapped) channel order

    Returns:
        np.ndarray: (N, 3, h, w) float32, the graph's input
    """
    if bgr_to_rgb:
        crops = crops[..., ::-1]
    inputs = (crops.astype(np.float32) - mean) / std
    return np.ascontiguousarray(inputs.transpose(0, 3, 1, 2))


def to_image(
    keypoints: np.ndarray, centers: np.ndarray, scales: np.ndarray, input_size: Sequence[int]
) -> np.ndarray:
    """Crop pixels to image pixels as ``TopdownPoseEstimator`` maps them:
    ``k / input_size * scale + center - scale / 2``.

    Args:
        keypoints (np.ndarray): (N, K, 2) in crop pixels
        centers, scales (np.ndarray): (N, 2) of the crops

    Returns:
        np.ndarray: (N, K, 2) float32 in image pixels
    """
    size = np.asarray(input_size, np.float64)
    centers, scales = centers[:, None], scales[:, None]
    points = keypoints.astype(np.float64) / size * scales + centers - 0.5 * scales
    return points.astype(np.float32)


def check_image(image: np.ndarray) -> np.ndarray:
    """``image`` as a C-contiguous (H, W, 3) uint8 array, or a clear error."""
    if not isinstance(image, np.ndarray):
        hint = ' (cv2.imread returns None for a file it cannot read)' if image is None else ''
        raise TypeError(
            f'image must be a numpy array (H, W, 3) uint8 BGR, got {type(image).__name__}{hint}'
        )
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(
            f'image must be (H, W, 3) uint8 BGR, got shape {image.shape} dtype {image.dtype}'
        )
    if image.size == 0:
        raise ValueError(f'image is empty: shape {image.shape}')
    return np.ascontiguousarray(image)


def check_boxes(boxes: ArrayLike) -> np.ndarray:
    """``boxes`` as (N, 4) float32 (x_min, y_min, x_max, y_max); one box
    may be given as (4,)."""
    try:
        array = np.asarray(boxes, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise ValueError(f'boxes must be numbers (N, 4): {error}') from error
    if array.ndim == 1 and array.shape == (4,):
        array = array[None]
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(
            f'boxes must have shape (N, 4), (x_min, y_min, x_max, y_max) in pixels, '
            f'got {array.shape}'
        )
    bad = ~np.isfinite(array).all(1) | (array[:, 2:] <= array[:, :2]).any(1)
    if bad.any():
        raise ValueError(
            'boxes must be finite with x_max > x_min and y_max > y_min; '
            f'boxes {np.flatnonzero(bad).tolist()} are not'
        )
    return array


class LandmarkRuntime:
    """An exported model on an image and boxes, as MMPose's top-down
    inference (without flip test) runs it.

    The crop and normalisation come from the model's metadata (written by
    ``export_onnx``); an argument given here overrides it, and a file
    without metadata gets MMPose's defaults (ImageNet mean and std of
    0-255 values, BGR to RGB, padding of ``GetBBoxCenterScale``, the
    graph's input size).

    Args:
        onnx_path: A graph with input (B, 3, h, w) and outputs
            ``keypoints`` (B, K, 2) in crop pixels and ``scores`` (B, K)
        input_size: (w, h) of the crop; must be the graph's
        mean, std: Of the normalisation, in the order of the channels fed
        bgr_to_rgb: Feed RGB (the image given is BGR)
        padding: Box size factor of ``GetBBoxCenterScale``
        threads: onnxruntime's ``intra_op_num_threads`` (None: its default)

    Raises:
        FileNotFoundError: no file at ``onnx_path``
        ValueError: a file onnxruntime cannot load, a graph of another
            form, or a model exported with another crop than MMPose's
            ``GetBBoxCenterScale`` + ``TopdownAffine`` (``use_udp=False``)
    """

    def __init__(
        self,
        onnx_path: str | os.PathLike,
        input_size: Sequence[int] | None = None,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
        bgr_to_rgb: bool | None = None,
        padding: float | None = None,
        threads: int | None = None,
    ) -> None:
        path = os.fspath(onnx_path)
        self.session = cpu_session(path, threads)
        self.path = path
        self.metadata = self._read_metadata()
        crop = self.metadata.get('crop', TOPDOWN_CROP)
        if crop != TOPDOWN_CROP:
            raise ValueError(
                f'{path} was exported from a config that crops with {crop}; LandmarkRuntime '
                f"reproduces MMPose's {TOPDOWN_CROP} (use_udp=False) only"
            )

        inputs = self.session.get_inputs()
        shape = inputs[0].shape if len(inputs) == 1 else []
        if len(shape) != 4 or shape[1] != 3 or not all(isinstance(d, int) for d in shape[2:]):
            raise ValueError(
                f'{path}: expected one input (B, 3, h, w) with fixed h and w, '
                f'got {[(i.name, i.shape) for i in inputs]}'
            )
        self.input_name = inputs[0].name
        graph_size = (shape[3], shape[2])
        size = input_size if input_size is not None else self.metadata.get('input_size')
        self.input_size = tuple(int(v) for v in size) if size is not None else graph_size
        if self.input_size != graph_size:
            raise ValueError(
                f'input_size {self.input_size} (w, h) is not the graph input size {graph_size}'
            )
        outputs = {o.name: o for o in self.session.get_outputs()}
        if not {'keypoints', 'scores'} <= set(outputs):
            raise ValueError(
                f'{path}: expected outputs keypoints and scores, got {sorted(outputs)}'
            )
        k = outputs['keypoints'].shape[1]
        self.num_keypoints = k if isinstance(k, int) else None

        if 'preprocessor' in self.metadata and (mean is None or std is None or bgr_to_rgb is None):
            raise ValueError(
                f'{path} normalises its input with {self.metadata["preprocessor"]}, not '
                "MMPose's PoseDataPreprocessor: give mean, std and bgr_to_rgb"
            )
        self.mean = self._triple('mean', mean, DEFAULT_MEAN)
        self.std = self._triple('std', std, DEFAULT_STD)
        if (self.std == 0).any():
            raise ValueError(f'std must not be zero, got {self.std}')
        self.bgr_to_rgb = bool(self._setting('bgr_to_rgb', bgr_to_rgb, True))
        self.padding = float(self._setting('padding', padding, DEFAULT_PADDING))
        if not self.padding > 0:
            raise ValueError(f'padding must be positive, got {self.padding}')
        self.int8_format = int8_format(self.session)
        if self.int8_format in INT8_FORMATS and int8_saturates(self.int8_format):
            warnings.warn(
                f'{path} is INT8 with 8-bit weights ({self.int8_format}): on this CPU '
                f'({isa_name()}, no VNNI) onnxruntime adds pairs of its products in 16 bits, '
                'which saturate and move keypoints. Export it again with the default '
                f'{PORTABLE_INT8_FORMAT!r} format (7-bit weights, exact on every CPU), '
                'or run the FP32 model.',
                stacklevel=2,
            )

    def _read_metadata(self) -> dict:
        text = self.session.get_modelmeta().custom_metadata_map.get(PREPROCESSING_KEY)
        if text is None:
            return {}
        try:
            metadata = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(
                f'{self.path}: unreadable {PREPROCESSING_KEY} metadata: {error}'
            ) from error
        if not isinstance(metadata, dict):
            raise ValueError(f'{self.path}: {PREPROCESSING_KEY} metadata is not a JSON object')
        return metadata

    def _setting(self, name: str, given: Any, default: Any) -> Any:
        return given if given is not None else self.metadata.get(name, default)

    def _triple(
        self, name: str, given: Sequence[float] | None, default: Sequence[float]
    ) -> np.ndarray:
        values = np.asarray(self._setting(name, given, default), np.float32).reshape(-1)
        if values.shape != (3,) or not np.isfinite(values).all():
            raise ValueError(f'{name} must be 3 finite numbers, got {values.tolist()}')
        return values

    def preprocess(
        self, image_bgr: np.ndarray, boxes: ArrayLike
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Crop and normalise each box as MMPose does.

        Args:
            image_bgr (np.ndarray): (H, W, 3) uint8 BGR
            boxes: (N, 4) or (4,) (x_min, y_min, x_max, y_max) in pixels

        Returns:
            tuple: the graph's inputs (N, 3, h, w) float32, and the crops'
            centres and sizes (N, 2) float32 in image pixels
        """
        image = check_image(image_bgr)
        boxes = check_boxes(boxes)
        w, h = self.input_size
        centers, scales = box_center_scale(boxes, self.padding, w / h)
        crops = np.zeros((len(boxes), h, w, 3), np.uint8)
        for i, (center, scale) in enumerate(zip(centers, scales)):
            matrix = warp_matrix(center, scale, self.input_size)
            crops[i] = cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR)
        return normalise(crops, self.mean, self.std, self.bgr_to_rgb), centers, scales

    def run(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The graph on preprocessed crops (N, 3, h, w) float32: keypoints
        (N, K, 2) in crop pixels and scores (N, K)."""
        keypoints, scores = self.session.run(['keypoints', 'scores'], {self.input_name: inputs})
        return keypoints, scores

    def __call__(self, image_bgr: np.ndarray, boxes: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Landmarks of each box.

        Args:
            image_bgr (np.ndarray): (H, W, 3) uint8 BGR (as cv2.imread reads)
            boxes: (N, 4) or (4,) (x_min, y_min, x_max, y_max) in pixels

        Returns:
            tuple: keypoints (N, K, 2) float32 in image pixels and scores
            (N, K) float32
        """
        inputs, centers, scales = self.preprocess(image_bgr, boxes)
        if not len(inputs) and self.num_keypoints is not None:
            k = self.num_keypoints
            return np.zeros((0, k, 2), np.float32), np.zeros((0, k), np.float32)
        keypoints, scores = self.run(inputs)
        return to_image(keypoints, centers, scales, self.input_size), scores


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description='Face landmarks of an exported model (JSON on stdout)'
    )
    parser.add_argument('model', help='.onnx written by rr_mmpose.deployment.onnx_export')
    parser.add_argument('image')
    parser.add_argument(
        '--box',
        nargs=4,
        type=float,
        action='append',
        metavar=('X0', 'Y0', 'X1', 'Y1'),
        help='a face box in pixels (repeat for more; default: the whole image)',
    )
    parser.add_argument('--threads', type=int, default=None)
    args = parser.parse_args(argv)
    image = cv2.imread(args.image, cv2.IMREAD_COLOR)
    if image is None:
        parser.error(f'cannot read an image from {args.image}')
    boxes = args.box or [[0, 0, image.shape[1], image.shape[0]]]
    keypoints, scores = LandmarkRuntime(args.model, threads=args.threads)(image, boxes)
    faces = [
        dict(box=box, keypoints=k.tolist(), scores=s.tolist())
        for box, k, s in zip(boxes, keypoints, scores)
    ]
    print(json.dumps(faces))


if __name__ == '__main__':
    main()
