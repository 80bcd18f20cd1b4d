"""H3R's ``FacialLandmarkDetector`` rebuilt without MMPose: the other side
of every parity check of the converter and of ``H3RCropResize``.

It follows ``torchalign/api.py``: a square of side ``max(w, h) * SCALE``
around each box (corners inclusive, centre half a pixel right of and
below the box centre; float32 arithmetic, as H3R's torch tensors) is cut
out of a PIL image, resized with torchvision to ``INPUT.SIZE``, normalised
with ImageNet's statistics and decoded; with ``INPUT.FLIP`` the mirrored
crop is decoded too, mirrored back with ``x -> w - 1 - x`` and
``FLIP_ORDER`` and averaged; landmarks go back to the image linearly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor, nn
from torchvision import transforms

from rr_mmpose.h3r.h3r_config import load_h3r_config

from .networks import H3RNetwork

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class H3RDetector:
    """H3R's inference for one model configuration.

    Args:
        cfg (dict): H3R's merged configuration (see
            :func:`~rr_mmpose.h3r.h3r_config.load_h3r_config`)
        net (nn.Module, optional): the network; a random
            :class:`H3RNetwork` for ``cfg`` by default
    """

    def __init__(self, cfg: dict, net: nn.Module | None = None) -> None:
        self.cfg = cfg
        self.net = (net if net is not None else H3RNetwork(cfg)).eval()
        self.size = list(cfg['INPUT']['SIZE'])
        self.to_input = transforms.Compose(
            [
                transforms.Resize(self.size),
                transforms.ToTensor(),
                transforms.Normalize(mean=IMAGENET_MEAN, std=IMAGENET_STD),
            ]
        )

    @classmethod
    def from_model_dir(cls, model_dir: str | Path) -> H3RDetector:
        """``config.yaml`` merged over H3R's defaults, ``model.pth`` loaded
        strictly."""
        cfg = load_h3r_config(model_dir)
        net = H3RNetwork(cfg)
        state = torch.load(Path(model_dir) / 'model.pth', map_location='cpu', weights_only=True)
        net.load_state_dict(state)
        return cls(cfg, net)

    def squares(self, boxes: np.ndarray | Tensor | None, image: Image.Image) -> Tensor:
        """(N, 4) float32 squares (left, top, right, bottom) for (N, 4)
        boxes; the whole image without boxes."""
        if boxes is None:
            return torch.tensor([[0, 0, image.width, image.height]], dtype=torch.float32)
        boxes = torch.as_tensor(np.asarray(boxes, dtype=np.float32)).reshape(-1, 4)
        side = (boxes[:, 2:] - boxes[:, :2] + 1).max(1).values * self.cfg['INPUT']['SCALE']
        corner = (boxes[:, :2] + boxes[:, 2:] - side[:, None] + 1) / 2
        return torch.cat([corner, corner + side[:, None]], 1)

    def inputs(
        self, image: Image.Image, boxes: np.ndarray | Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """The network inputs (N, 3, h, w) and the squares (N, 4) they show."""
        rects = self.squares(boxes, image)
        batch = torch.stack([self.to_input(image.crop(tuple(r.tolist()))) for r in rects])
        return batch, rects

    @torch.no_grad()
    def landmarks_in_input(self, batch: Tensor) -> Tensor:
        """Decoded (N, K, 2) input-pixel landmarks, flip test included."""
        points = self.net(batch)
        if self.cfg['INPUT']['FLIP']:
            mirrored = self.net(batch.flip(-1))
            mirrored[..., 0] = batch.shape[-1] - 1 - mirrored[..., 0]
            points = (points + mirrored[:, self.cfg['INPUT']['FLIP_ORDER']]) / 2
        return points

    def __call__(self, image: Image.Image, boxes: np.ndarray | Tensor | None = None) -> np.ndarray:
        """Landmarks (N, K, 2) in image pixels for (N, 4) boxes
        (x1, y1, x2, y2) on an RGB PIL image."""
        batch, rects = self.inputs(image, boxes)
        points = self.landmarks_in_input(batch)
        scale = torch.stack(
            [self.size[0] / (rects[:, 2] - rects[:, 0]), self.size[1] / (rects[:, 3] - rects[:, 1])]
        ).t()
        return (points / scale[:, None] + rects[:, None, :2]).numpy()
