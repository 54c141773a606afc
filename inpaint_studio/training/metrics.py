"""Image-quality metrics used by ``inpaint-studio eval`` (whole image, as the papers do).

SSIM follows Wang et al. 2004 with an 11×11 Gaussian window (σ = 1.5), K1 = 0.01,
K2 = 0.03, on 8-bit values, computed per RGB channel and averaged over the channels
(the convention of skimage's ``channel_axis`` mode with ``gaussian_weights=True``).
"""

from __future__ import annotations

import cv2
import numpy as np


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB for uint8 images (peak 255); identical images give ``inf``."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)


def mean_l1(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute error as a fraction of the 0–255 range."""
    return float(np.mean(np.abs(a.astype(np.float64) - b.astype(np.float64)))) / 255.0


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM over pixels and channels (Gaussian 11×11, σ 1.5)."""
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    if a.ndim == 2:
        a, b = a[..., None], b[..., None]
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (11, 11), 1.5, borderType=cv2.BORDER_REFLECT)

    vals = []
    for ch in range(a.shape[2]):
        x, y = a[..., ch], b[..., ch]
        mx, my = blur(x), blur(y)
        sxx = blur(x * x) - mx * mx
        syy = blur(y * y) - my * my
        sxy = blur(x * y) - mx * my
        s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
        vals.append(s.mean())
    return float(np.mean(vals))


def hole_detail(out: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> float:
    """Fine detail inside the hole, as a fraction of the truth's there.

    PSNR, SSIM and L1 all rank a smooth blur of the likely colours above real texture
    in a slightly wrong place, so none of them can tell a fill that looks like a photo
    from one that looks like blur.  This can: the mean gradient magnitude (3×3 Sobel
    on luminance) over the hole, divided by the truth's.  A blurred fill scores well
    under 1, a noisy or seamy one over 1, and a fill with the photo's own amount of
    detail near 1.  It says nothing about whether the detail is the right detail.
    """

    def grad(img: np.ndarray) -> np.ndarray:
        x = img.astype(np.float32)
        y = x if x.ndim == 2 else x @ np.array([0.299, 0.587, 0.114], np.float32)
        gx = cv2.Sobel(y, cv2.CV_32F, 1, 0, ksize=3, borderType=cv2.BORDER_REFLECT)
        gy = cv2.Sobel(y, cv2.CV_32F, 0, 1, ksize=3, borderType=cv2.BORDER_REFLECT)
        return np.sqrt(gx * gx + gy * gy)

    hole = mask.astype(bool)
    if not hole.any():
        return 1.0
    # The small offset keeps a flat truth (sky) from dividing by ~0: a flat fill of it
    # scores 1, any texture there well over 1.  Photos' holes average tens.
    return float((grad(out)[hole].mean() + 0.5) / (grad(truth)[hole].mean() + 0.5))


def _patch_descriptors(lap: np.ndarray, ys: np.ndarray, xs: np.ndarray, patch: int) -> np.ndarray:
    """The ``patch`` × ``patch`` neighbourhoods of ``lap`` at ``(ys, xs)``, one row each."""
    r = patch // 2
    pad = np.pad(lap, ((r, r), (r, r), (0, 0)), mode="reflect")
    dy, dx = np.mgrid[0:patch, 0:patch]
    rows = pad[ys[:, None, None] + dy, xs[:, None, None] + dx]  # (n, p, p, c)
    return rows.reshape(len(ys), -1).astype(np.float32)


def swd(
    out: np.ndarray,
    truth: np.ndarray,
    mask: np.ndarray,
    *,
    patch: int = 7,
    max_patches: int = 4096,
    directions: int = 256,
    min_side: int = 16,
    seed: int = 0,
) -> float:
    """Sliced Wasserstein distance between the fill's and the truth's patches in the hole.

    After Karras et al., "Progressive Growing of GANs" (2018), §5: both images are split
    into a Laplacian pyramid (down to ``min_side`` px), and on every level the sets of
    ``patch`` × ``patch`` × RGB neighbourhoods centred on hole pixels are compared by the
    sliced Wasserstein distance (the mean, over random unit directions, of the 1-D
    Wasserstein distance of the two projected sets); the levels are averaged.  Unlike
    PSNR it compares distributions: real texture slightly out of place costs little, a
    smooth mean (which has none of the truth's patches) costs a lot.

    Two departures from the paper, both so that blur cannot hide: patches are
    normalised per level and channel by the truth's mean and spread (not each set by
    its own, which would scale a blurred fill's faint detail back up), and patch
    centres are restricted to the hole (the pixels outside are the truth itself).
    Deterministic: the same centres and directions for every fill of one pair.
    """
    hole = mask.astype(bool)
    if not hole.any():
        return 0.0
    rng = np.random.default_rng(seed)
    a: np.ndarray = out[..., :3].astype(np.float32)
    b: np.ndarray = truth[..., :3].astype(np.float32)
    m: np.ndarray = hole.astype(np.float32)
    dists = []
    while True:
        h, w = m.shape
        last = min(h, w) // 2 < min_side
        if last:
            la, lb = a, b
        else:
            size = ((w + 1) // 2, (h + 1) // 2)
            da, db = cv2.pyrDown(a, dstsize=size), cv2.pyrDown(b, dstsize=size)
            la = a - cv2.pyrUp(da, dstsize=(w, h))
            lb = b - cv2.pyrUp(db, dstsize=(w, h))
        ys, xs = np.nonzero(m >= 0.5)
        if len(ys) >= 8:
            if len(ys) > max_patches:
                pick = rng.choice(len(ys), max_patches, replace=False)
                ys, xs = ys[pick], xs[pick]
            pa: np.ndarray = _patch_descriptors(la, ys, xs, patch)
            pb: np.ndarray = _patch_descriptors(lb, ys, xs, patch)
            c = la.shape[2]
            mean = pb.reshape(len(ys), -1, c).mean(axis=(0, 1))
            std = np.maximum(pb.reshape(len(ys), -1, c).std(axis=(0, 1)), 1.0)
            pa = ((pa.reshape(len(ys), -1, c) - mean) / std).reshape(len(ys), -1)
            pb = ((pb.reshape(len(ys), -1, c) - mean) / std).reshape(len(ys), -1)
            dirs = rng.standard_normal((pa.shape[1], directions)).astype(np.float32)
            dirs /= np.linalg.norm(dirs, axis=0, keepdims=True)
            sa = np.sort(pa @ dirs, axis=0)
            sb = np.sort(pb @ dirs, axis=0)
            dists.append(float(np.abs(sa - sb).mean()))
        if last:
            break
        a, b = da, db
        m = cv2.resize(m, size, interpolation=cv2.INTER_AREA)
    return float(np.mean(dists)) if dists else 0.0
