"""H3R's released inference, rebuilt from what its code and checkpoints
document and from torchvision, without MMPose: the other side of every
parity check of the converter and of ``H3RCropResize``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
import yaml
from PIL import Image
from torch import Tensor, nn
from torchvision import transforms

from rr_mmpose.deployment.h3r_checkpoint import convert_state_dict

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class _H3RNetwork(nn.Module):
    """What H3R's networks share: the backbone's branch outputs resized to
    the first (bilinear, align_corners=False) and concatenated, then
    ``heatmap_head.head.layers`` (1x1 conv, BN, ReLU, 1x1 conv to 2K
    logits)."""

    def __init__(self, channels: int, num_keypoints: int) -> None:
        super().__init__()
        self.num_keypoints = num_keypoints
        self.heatmap_head = nn.Module()
        self.heatmap_head.head = nn.Module()
        self.heatmap_head.head.layers = nn.Sequential(
            nn.Conv2d(channels, channels, 1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.Conv2d(channels, 2 * num_keypoints, 1, bias=False),
        )

    def branches(self, x: Tensor) -> list[Tensor]:
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        """(N, 3, h, w) images -> (N, 2K, h/4, w/4) logits."""
        branches = self.branches(x)
        size = branches[0].shape[-2:]
        fused = [F.interpolate(t, size, mode='bilinear', align_corners=False) for t in branches]
        return self.heatmap_head.head.layers(torch.cat(fused, 1))


class H3RMobileNetV2(_H3RNetwork):
    """H3R's MobileNetV2 network as its checkpoints lay it out: torchvision's
    ``features[:14]``, whose 1/4, 1/8 and 1/16 outputs (24 + 32 + 96 = 152
    channels) are fused."""

    def __init__(self, num_keypoints: int) -> None:
        super().__init__(152, num_keypoints)
        self.backbone = nn.Module()
        self.backbone.features = torchvision.models.mobilenet_v2().features[:14]

    def branches(self, x: Tensor) -> list[Tensor]:
        features = self.backbone.features
        quarter = features[:4](x)
        eighth = features[4:7](quarter)
        return [quarter, eighth, features[7:14](eighth)]


class H3RHRNet(_H3RNetwork):
    """H3R's HRNet network as its checkpoints lay it out: the classic HRNet
    without its classification head (here timm's port, which keeps the
    classic names and, like H3R's, upsamples with ``nearest`` inside its
    fuse layers), whose four branches (270 channels for W18) are fused.

    Needs ``timm`` (a development requirement).
    """

    def __init__(self, num_keypoints: int, width: int = 18) -> None:
        import timm

        backbone = timm.create_model(
            f'hrnet_w{width}',
            pretrained=False,
            features_only=True,
            feature_location='',
            out_indices=(1, 2, 3, 4),
        )
        super().__init__(sum(backbone.feature_info.channels()), num_keypoints)
        self.backbone = backbone

    def branches(self, x: Tensor) -> list[Tensor]:
        return list(self.backbone(x))


def h3r_decode(logits: Tensor, topk: int = 9, stride: int = 4) -> Tensor:
    """H3R's decoder: (N, 2K, H, W) logits -> (N, K, 2) input pixels.

    The logits are read as (N, 2, K, H, W) and only the second slice is
    used: its top-k raw scores, softmax-weighted cell indices, times stride.
    """
    n, channels, h, w = logits.shape
    scores = logits.view(n, 2, channels // 2, h * w)[:, 1]
    top, index = scores.topk(topk, dim=-1)
    weights = top.softmax(-1)
    x = (weights * (index % w).float()).sum(-1)
    y = (weights * torch.div(index, w, rounding_mode='floor').float()).sum(-1)
    return torch.stack([x, y], -1) * stride


class H3RReferencePipeline:
    """H3R's ``FacialLandmarkDetector`` forward pass: crop a square of side
    ``max(w, h) * scale`` (box corners inclusive) out of a PIL image, resize
    with torchvision, normalise, run ``net``, decode, average with the
    mirrored pass (``x -> w - 1 - x`` and ``flip_order``), map back linearly.
    """

    def __init__(
        self,
        net: nn.Module,
        input_size: int,
        flip_order: Sequence[int] | None,
        scale: float = 1.25,
        topk: int = 9,
        stride: int = 4,
    ) -> None:
        self.net = net.eval()
        self.input_size = input_size
        self.flip_order = list(flip_order) if flip_order is not None else None
        self.scale = scale
        self.topk = topk
        self.stride = stride
        self.to_input = transforms.Compose(
            [
                transforms.Resize([input_size, input_size]),
                transforms.ToTensor(),
                transforms.Normalize(mean=IMAGENET_MEAN, std=IMAGENET_STD),
            ]
        )

    def squares(self, boxes: np.ndarray) -> np.ndarray:
        """(N, 4) boxes -> (N, 4) squares (left, top, right, bottom)."""
        side = (boxes[:, 2:] - boxes[:, :2] + 1).max(1) * self.scale
        corner = (boxes[:, :2] + boxes[:, 2:] - side[:, None] + 1) / 2
        return np.concatenate([corner, corner + side[:, None]], 1)

    def inputs(self, image: Image.Image, boxes: np.ndarray) -> tuple[Tensor, np.ndarray]:
        """The network inputs (N, 3, s, s) and the squares (N, 4) they show."""
        rects = self.squares(np.asarray(boxes, dtype=np.float64).reshape(-1, 4))
        return torch.stack([self.to_input(image.crop(tuple(r))) for r in rects]), rects

    @torch.no_grad()
    def __call__(self, image: Image.Image, boxes: np.ndarray) -> np.ndarray:
        """Landmarks (N, K, 2) in image pixels for (N, 4) boxes."""
        batch, rects = self.inputs(image, boxes)
        points = h3r_decode(self.net(batch), self.topk, self.stride)
        if self.flip_order is not None:
            mirrored = h3r_decode(self.net(batch.flip(-1)), self.topk, self.stride)
            mirrored[..., 0] = batch.shape[-1] - 1 - mirrored[..., 0]
            points = (points + mirrored[:, self.flip_order]) / 2
        side = torch.from_numpy(rects[:, 2:3] - rects[:, 0:1]).float()
        return (points * side[:, None] / self.input_size).numpy() + rects[:, None, :2]


def h3r_state_dict(state: dict[str, Tensor], arch: str, num_keypoints: int) -> dict[str, Tensor]:
    """An MMPose state dict of this repository's H3R models rewritten in
    H3R's released layout (the inverse of ``convert_state_dict``)."""
    if arch == 'mobilenetv2':
        h3r_keys = ['backbone.' + k for k in H3RMobileNetV2(num_keypoints).backbone.state_dict()]
    elif arch in ('hrnet18', 'hrnet32'):
        h3r_keys = [k for k in state if k.startswith('backbone.')]
    else:
        raise ValueError(f'unknown H3R arch {arch!r}')
    h3r_keys += ['heatmap_head.' + k for k in state if k.startswith('head.layers.')]
    out = {}
    for key in h3r_keys:
        (ours,) = convert_state_dict({key: None}, arch)
        if ours not in state:
            raise KeyError(f'{key}: no {ours} in the MMPose state dict')
        out[key] = state[ours]
    return out


def randomise_batch_norm(net: nn.Module, seed: int = 0) -> nn.Module:
    """Give every BN layer non-trivial statistics and affine parameters, so
    a mis-mapped BN shows in a parity check; returns ``net`` in eval mode."""
    generator = torch.Generator().manual_seed(seed)
    for module in net.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5, generator=generator)
            module.running_var.uniform_(0.5, 1.5, generator=generator)
            module.weight.data.uniform_(0.5, 1.5, generator=generator)
            module.bias.data.uniform_(-0.2, 0.2, generator=generator)
    return net.eval()


def write_h3r_model_dir(
    path: str | Path,
    state: dict[str, Tensor],
    arch: str = 'mobilenetv2',
    size: int = 256,
    dataset: str = 'WFLW',
    num_keypoints: int = 98,
    bbox: str = 'P2',
) -> Path:
    """Write a model directory in H3R's released format: ``config.yaml``
    (the keys the converter reads) and ``model.pth`` (a plain state dict)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    channels = {'mobilenetv2': 152, 'hrnet18': 270}.get(arch)
    cfg = dict(
        INPUT=dict(SIZE=[size, size], BBOX=bbox, DATASET=dataset),
        BACKBONE=dict(ARCH=arch),
        HEATMAP=dict(PROJ_CHANNEL=channels, OUT_CHANNEL=num_keypoints, TOPK=9),
    )
    (path / 'config.yaml').write_text(yaml.safe_dump(cfg))
    torch.save(state, path / 'model.pth')
    return path


@torch.no_grad()
def calibrate_batch_norm(net: nn.Module, inputs: Tensor, seed: int = 0) -> nn.Module:
    """Random BN affine parameters, then running statistics measured on
    ``inputs``: activations stay O(1) through deep random networks (HRNet's
    explode otherwise), and a mis-mapped BN still shows. Returns ``net`` in
    eval mode."""
    generator = torch.Generator().manual_seed(seed)
    norms = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    for module in norms:
        module.weight.uniform_(0.5, 1.5, generator=generator)
        module.bias.uniform_(-0.2, 0.2, generator=generator)
        module.reset_running_stats()
        module.momentum = None  # cumulative average over the calibration pass
    net.train()
    net(inputs)
    return net.eval()
