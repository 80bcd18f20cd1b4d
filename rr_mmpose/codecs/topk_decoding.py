"""Top-k soft-argmax: H3R's decoder, in torch so it runs batched on any
device and exports to ONNX."""

import torch
from torch import Tensor


def topk_soft_argmax(
    log_probs: Tensor,
    topk: int,
    map_size: tuple[int, int] | None = None,
) -> tuple[Tensor, Tensor]:
    """Weighted mean position of the ``topk`` best cells of each map, and
    the probability that the keypoint lies in those cells.

    Weights are the softmax of the top-k scores. When ``log_probs`` holds
    log-probabilities ``log p + c``, the softmax equals ``p / sum_topk p``,
    so a map whose mass lies on at most ``topk`` cells (the bilinear
    expectation has four) decodes to its exact mean position.

    The score is the mass of the top-k cells: with ``log_probs`` the
    normalised log-probabilities :class:`RandomizedRoundingHead` hands over,
    ``sum_topk p``, clipped to [0, 1], the model's own probability that the
    keypoint lies in the cells the estimate is made of (the codecs calibrate
    it, :mod:`rr_mmpose.codecs.score_calibration`).

    Speed: the top-k cells of a map lie in its ``topk`` rows with the
    largest maxima (each of those cells is at least the k-th largest value,
    so its row's maximum is too, and at most k rows can have one), so one
    pass of row maxima narrows the search to ``topk`` rows before the
    top-k: the whole decode costs about one read of the maps.

    Args:
        log_probs (Tensor): Maps in shape (B, K, H, W)
        topk (int): Number of cells to keep
        map_size (tuple, optional): ``(H, W)`` when known ahead (the codec's
            heatmap size), so that a traced graph reads no size off a tensor

    Returns:
        tuple:
        - coords (Tensor): (x, y) in heatmap cells, shape (B, K, 2)
        - scores (Tensor): probability mass of the top-k cells, shape (B, K)
    """
    maps = log_probs.float()
    height, width = map_size if map_size is not None else maps.shape[-2:]
    rows = min(topk, height)
    _, row_index = maps.amax(dim=-1).topk(rows, dim=-1)  # (B, K, rows)
    if torch.jit.is_tracing():  # ONNX: a gather keeps the batch dynamic
        index = row_index.unsqueeze(-1).expand(*row_index.shape, width)
        candidates = maps.gather(2, index).flatten(2)
    else:  # whole rows, copied once: faster than a gather on CPUs
        first = torch.arange(row_index.shape[:2].numel(), device=maps.device) * height
        flat_rows = (first.view_as(row_index[..., 0]).unsqueeze(-1) + row_index).flatten()
        candidates = maps.reshape(-1, width).index_select(0, flat_rows)
        candidates = candidates.view(*row_index.shape[:2], rows * width)
    top, index = candidates.topk(topk, dim=-1)
    weights = top.softmax(dim=-1)
    x = (index % width).to(weights.dtype)
    y = row_index.gather(-1, torch.div(index, width, rounding_mode='floor')).to(weights.dtype)
    coords = torch.stack(((weights * x).sum(-1), (weights * y).sum(-1)), dim=-1)
    return coords, top.exp().sum(-1).clamp(0, 1)
