"""Top-k soft-argmax: H3R's decoder, in torch so it runs batched on any
device and exports to ONNX."""

import torch
from torch import Tensor


def topk_soft_argmax(log_probs: Tensor, topk: int) -> tuple[Tensor, Tensor]:
    """Weighted mean position of the ``topk`` best cells of each map.

    Weights are the softmax of the top-k scores. When ``log_probs`` holds
    log-probabilities ``log p + c``, the softmax equals ``p / sum_topk p``,
    so a map whose mass lies on at most ``topk`` cells (the bilinear
    expectation has four) decodes to its exact mean position.

    Args:
        log_probs (Tensor): Maps in shape (B, K, H, W)
        topk (int): Number of cells to keep

    Returns:
        tuple:
        - coords (Tensor): (x, y) in heatmap cells, shape (B, K, 2)
        - scores (Tensor): probability mass of the top-k cells in [0, 1],
          shape (B, K); ``exp`` of the scores is read as probabilities, so
          for maps normalised over H*W this is the mass near the estimate
    """
    width = log_probs.shape[-1]
    flat = log_probs.flatten(2).float()
    top, index = flat.topk(topk, dim=-1)
    weights = top.softmax(dim=-1)
    x = (index % width).to(weights.dtype)
    y = torch.div(index, width, rounding_mode='floor').to(weights.dtype)
    coords = torch.stack(((weights * x).sum(-1), (weights * y).sum(-1)), dim=-1)
    scores = top.exp().sum(-1).clamp(0, 1)
    return coords, scores
