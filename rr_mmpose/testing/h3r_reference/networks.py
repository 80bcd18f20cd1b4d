"""H3R's networks as its ``torchalign`` package lays them out, written
without MMPose: module tree, state-dict keys and shapes, and forward pass
follow ``torchalign/backbone/{mobilenet,hrnet}.py`` and
``torchalign/heatmap_head``, so a released ``model.pth`` loads with
``strict=True``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def _fuse(maps: Sequence[Tensor]) -> Tensor:
    """Resize every map to the first one's size (bilinear, corners not
    aligned) and concatenate: how both H3R backbones end."""
    size = maps[0].shape[-2:]
    return torch.cat(
        [F.interpolate(m, size=size, mode='bilinear', align_corners=False) for m in maps], 1
    )


# --- MobileNetV2 --------------------------------------------------------------

#: (expansion, out channels, blocks, first stride) after the 32-channel stem:
#: torchvision's MobileNetV2 up to its 96-channel stage.
MOBILENET_STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1))


class MobileNetBlock(nn.Module):
    """An inverted residual block as one flat ``conv`` Sequential:
    every (conv, BN, ReLU6) triple takes three slots, the projection has no
    ReLU6. Expansion 1: dw ``conv.0``/``conv.1``, pw ``conv.3``/``conv.4``;
    otherwise expand ``conv.0``/``.1``, dw ``conv.3``/``.4``, project
    ``conv.6``/``.7``."""

    def __init__(self, in_channels: int, out_channels: int, expansion: int, stride: int) -> None:
        super().__init__()
        hidden = in_channels * expansion
        layers: list[nn.Module] = []
        if expansion != 1:
            layers += [
                nn.Conv2d(in_channels, hidden, 1, bias=False),
                nn.BatchNorm2d(hidden),
                nn.ReLU6(inplace=True),
            ]
        layers += [
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
        ]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and in_channels == out_channels

    def forward(self, x: Tensor) -> Tensor:
        out = self.conv(x)
        return out + x if self.residual else out


class H3RMobileNetV2(nn.Module):
    """``backbone.features.<i>``: the stem (conv, BN, ReLU6) then 13 blocks.
    The 1/4 (``features[:4]``, 24 ch), 1/8 (``[4:7]``, 32 ch) and 1/16
    (``[7:14]``, 96 ch) outputs are fused: 152 channels at 1/4."""

    out_channels = 24 + 32 + 96

    def __init__(self) -> None:
        super().__init__()
        features: list[nn.Module] = [
            nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU6(True))
        ]
        channels = 32
        for expansion, out, blocks, stride in MOBILENET_STAGES:
            for i in range(blocks):
                features.append(MobileNetBlock(channels, out, expansion, stride if i == 0 else 1))
                channels = out
        self.features = nn.Sequential(*features)

    def forward(self, x: Tensor) -> Tensor:
        quarter = self.features[:4](x)
        eighth = self.features[4:7](quarter)
        return _fuse([quarter, eighth, self.features[7:14](eighth)])


# --- HRNet --------------------------------------------------------------------


def _conv_bn(c_in: int, c_out: int, kernel: int, stride: int = 1, relu: bool = False) -> nn.Module:
    layers = [
        nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False),
        nn.BatchNorm2d(c_out),
    ]
    return nn.Sequential(*layers, nn.ReLU(inplace=True)) if relu else nn.Sequential(*layers)


class BasicBlock(nn.Module):
    """Two 3x3 convs (``conv1``/``bn1``, ``conv2``/``bn2``) and a skip."""

    expansion = 1

    def __init__(self, c_in: int, planes: int, downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, planes, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        skip = x if self.downsample is None else self.downsample(x)
        return F.relu(out + skip)


class Bottleneck(nn.Module):
    """1x1, 3x3, 1x1 (x4 channels) convs (``conv1..3``/``bn1..3``) and a skip."""

    expansion = 4

    def __init__(self, c_in: int, planes: int, downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        skip = x if self.downsample is None else self.downsample(x)
        return F.relu(out + skip)


def _blocks(block: type, c_in: int, planes: int, count: int) -> nn.Sequential:
    """``count`` blocks; the first gets a 1x1 conv + BN ``downsample`` when
    its channels change."""
    c_out = planes * block.expansion
    downsample = _conv_bn(c_in, c_out, 1) if c_in != c_out else None
    return nn.Sequential(
        block(c_in, planes, downsample), *(block(c_out, planes) for _ in range(count - 1))
    )


class HRModule(nn.Module):
    """One high-resolution module: ``branches`` (4 basic blocks each) and
    ``fuse_layers[i][j]`` bringing branch ``j`` to branch ``i``: a 1x1
    conv + BN then ``nearest`` upsampling from a lower resolution, a chain
    of stride-2 3x3 conv + BN (ReLU between them) from a higher one, and
    ``None`` for ``i == j``. Each fused sum goes through a ReLU."""

    def __init__(self, channels: Sequence[int], num_blocks: int = 4) -> None:
        super().__init__()
        n = len(channels)
        self.branches = nn.ModuleList(_blocks(BasicBlock, c, c, num_blocks) for c in channels)
        fuse = []
        for i in range(n):
            row: list[nn.Module | None] = []
            for j in range(n):
                if j > i:
                    row.append(
                        nn.Sequential(
                            nn.Conv2d(channels[j], channels[i], 1, bias=False),
                            nn.BatchNorm2d(channels[i]),
                            nn.Upsample(scale_factor=2 ** (j - i), mode='nearest'),
                        )
                    )
                elif j == i:
                    row.append(None)
                else:  # i - j halvings; only the last one changes channels
                    steps = []
                    for k in range(i - j):
                        last = k == i - j - 1
                        c_out = channels[i] if last else channels[j]
                        steps.append(_conv_bn(channels[j], c_out, 3, 2, relu=not last))
                    row.append(nn.Sequential(*steps))
            fuse.append(nn.ModuleList(row))
        self.fuse_layers = nn.ModuleList(fuse) if n > 1 else None

    def forward(self, xs: list[Tensor]) -> list[Tensor]:
        xs = [branch(x) for branch, x in zip(self.branches, xs, strict=True)]
        if self.fuse_layers is None:
            return xs
        out = []
        for i, row in enumerate(self.fuse_layers):
            # Summed in branch order, as H3R does: float sums depend on it.
            total = None
            for j, layer in enumerate(row):
                term = xs[j] if j == i else layer(xs[j])
                total = term if total is None else total + term
            out.append(F.relu(total))
        return out


#: H3R's HRNets: branch widths of the last stage; modules per stage 1, 1, 4, 3.
HRNET_WIDTHS = {'hrnet18': 18, 'hrnet32': 32}
HRNET_MODULES = (1, 4, 3)  # stages 2, 3, 4


class H3RHRNet(nn.Module):
    """The classic HRNet (``conv1``/``bn1``/``conv2``/``bn2`` stem,
    ``layer1`` of four bottlenecks, ``transition1..3``, ``stage2..4``)
    without a classifier; the four branches are fused at 1/4."""

    def __init__(self, width: int = 18) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.conv2 = nn.Conv2d(64, 64, 3, 2, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.layer1 = _blocks(Bottleneck, 64, 64, 4)
        previous = [256]
        for stage, count in enumerate(HRNET_MODULES, start=2):
            channels = [width * 2**b for b in range(stage)]
            setattr(self, f'transition{stage - 1}', self._transition(previous, channels))
            modules = nn.Sequential(*(HRModule(channels) for _ in range(count)))
            setattr(self, f'stage{stage}', modules)
            previous = channels
        self.out_channels = sum(previous)

    @staticmethod
    def _transition(before: Sequence[int], after: Sequence[int]) -> nn.ModuleList:
        """Kept branches change width with a 3x3 conv (or pass: ``None``);
        a new branch halves the last one with stride-2 3x3 convs."""
        layers: list[nn.Module | None] = []
        for i, c_out in enumerate(after):
            if i < len(before):
                layers.append(
                    _conv_bn(before[i], c_out, 3, relu=True) if before[i] != c_out else None
                )
            else:
                steps = []
                for k in range(i + 1 - len(before)):
                    last = k == i - len(before)
                    steps.append(_conv_bn(before[-1], c_out if last else before[-1], 3, 2, True))
                layers.append(nn.Sequential(*steps))
        return nn.ModuleList(layers)

    def forward(self, x: Tensor) -> Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        xs = [self.layer1(x)]
        for stage in range(2, 5):
            transition = getattr(self, f'transition{stage - 1}')
            inputs = []
            for i, layer in enumerate(transition):
                source = xs[i] if i < len(xs) else xs[-1]
                inputs.append(source if layer is None else layer(source))
            xs = getattr(self, f'stage{stage}')(inputs)
        return _fuse(xs)


# --- head, decoder, whole network ---------------------------------------------


class BinaryHeadBlock(nn.Module):
    """``layers``: 1x1 conv, BN, ReLU, 1x1 conv to 2K; the output is read
    as (N, 2, K, H, W): background and keypoint logits."""

    def __init__(self, in_channels: int, proj_channels: int, num_keypoints: int) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, proj_channels, 1, bias=False),
            nn.BatchNorm2d(proj_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(proj_channels, 2 * num_keypoints, 1, bias=False),
        )

    def forward(self, x: Tensor) -> Tensor:
        n, _, h, w = x.shape
        return self.layers(x).view(n, 2, -1, h, w)


def h3r_decode(logits: Tensor, topk: int = 9, stride: float = 4.0) -> Tensor:
    """H3R's ``BinaryHeatmap2Coordinate``: (N, 2, K, H, W) logits ->
    (N, K, 2) input pixels. Of the keypoint slice, the top-k raw logits of
    each map are softmax-weighted over their cells' (x, y), times stride."""
    maps = logits[:, 1]
    n, k, h, w = maps.shape
    scores, index = maps.reshape(n, k, h * w).topk(topk, dim=-1)
    weights = scores.softmax(-1)
    cells = torch.stack([index % w, index // w], -2)  # (N, K, 2, topk)
    return stride * (cells * weights[:, :, None]).sum(-1)


class HeatmapHead(nn.Module):
    """``heatmap_head``: the ``head`` block and the decoder."""

    def __init__(self, cfg: dict) -> None:
        super().__init__()
        heatmap = cfg['HEATMAP']
        self.topk = heatmap['TOPK']
        self.stride = heatmap['STRIDE']
        self.head = BinaryHeadBlock(
            heatmap['IN_CHANNEL'], heatmap['PROJ_CHANNEL'], heatmap['OUT_CHANNEL']
        )

    def forward(self, features: Tensor) -> Tensor:
        return h3r_decode(self.head(features), self.topk, self.stride)


def build_backbone(arch: str) -> nn.Module:
    if arch == 'mobilenetv2':
        return H3RMobileNetV2()
    if arch in HRNET_WIDTHS:
        return H3RHRNet(HRNET_WIDTHS[arch])
    raise ValueError(f'H3R has no backbone {arch!r} (hrnet18, hrnet32, mobilenetv2)')


class H3RNetwork(nn.Module):
    """``backbone`` and ``heatmap_head``, the two children of H3R's
    ``FacialLandmarkDetector`` that hold weights: its ``model.pth`` loads
    here as is. ``logits`` gives the (N, 2, K, H, W) head output,
    ``forward`` the decoded (N, K, 2) input-pixel landmarks."""

    def __init__(self, cfg: dict) -> None:
        super().__init__()
        self.backbone = build_backbone(cfg['BACKBONE']['ARCH'])
        self.heatmap_head = HeatmapHead(cfg)

    def logits(self, images: Tensor) -> Tensor:
        return self.heatmap_head.head(self.backbone(images))

    def forward(self, images: Tensor) -> Tensor:
        return self.heatmap_head(self.backbone(images))
