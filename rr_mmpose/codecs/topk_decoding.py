"""Top-k soft-argmax: H3R's decoder, in torch so it runs batched on any
device and exports to ONNX."""

import torch
from torch import Tensor


def topk_soft_argmax(
    log_probs: Tensor, topk: int, score_temperature: float = 1.0
) -> tuple[Tensor, Tensor]:
    """Weighted mean position of the ``topk`` best cells of each map, and
    the probability that the keypoint lies in those cells.

    Weights are the softmax of the top-k scores. When ``log_probs`` holds
    log-probabilities ``log p + c``, the softmax equals ``p / sum_topk p``,
    so a map whose mass lies on at most ``topk`` cells (the bilinear
    expectation has four) decodes to its exact mean position.

    The score is the mass of the top-k cells under ``softmax_hw(log_probs /
    T)``, ``T = score_temperature``: with ``T = 1`` and normalised maps,
    the model's own probability that the keypoint lies in the cells the
    estimate is made of; a fitted ``T`` calibrates it
    (``python -m rr_mmpose.tools.calibrate``). It is in
    ``[0, 1]`` whatever the maps, and ``T`` never moves the coordinates.

    Args:
        log_probs (Tensor): Maps in shape (B, K, H, W)
        topk (int): Number of cells to keep
        score_temperature (float): ``T`` of the score. Defaults to 1

    Returns:
        tuple:
        - coords (Tensor): (x, y) in heatmap cells, shape (B, K, 2)
        - scores (Tensor): probability mass of the top-k cells, shape (B, K)
    """
    width = log_probs.shape[-1]
    flat = log_probs.flatten(2).float()
    top, index = flat.topk(topk, dim=-1)
    weights = top.softmax(dim=-1)
    x = (index % width).to(weights.dtype)
    y = torch.div(index, width, rounding_mode='floor').to(weights.dtype)
    coords = torch.stack(((weights * x).sum(-1), (weights * y).sum(-1)), dim=-1)
    tempered = 1.0 / score_temperature
    scores = torch.exp(
        torch.logsumexp(top * tempered, dim=-1) - torch.logsumexp(flat * tempered, dim=-1)
    )
    return coords, scores
