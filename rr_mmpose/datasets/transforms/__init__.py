from .h3r_crop_resize import H3RCropResize, h3r_square

__all__ = ['H3RCropResize', 'h3r_square']
