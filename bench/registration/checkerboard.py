#!/usr/bin/python3
"""Before/after checkerboard of a 2D registration (run with Debian's /usr/bin/python3).

usage: checkerboard.py FIXED.png MOVING.png TRANSFORM.tfm OUT.png
Reads an ITK .tfm written by Export-ImageTransform (Euler2D, translation or affine, 2D, unit spacing, zero origin,
as for PNG slices), resamples the moving image onto the fixed grid (moving(T(x)), bilinear) and draws fixed/moving
checkerboards before and after registration.
"""
import sys
import numpy as np
from skimage import io
from scipy import ndimage
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt

def read_tfm(path):
    cls, p, f = None, None, None
    for line in open(path):
        if line.startswith('Transform:'): cls = line.split(':', 1)[1].strip()
        elif line.startswith('Parameters:'): p = [float(v) for v in line.split(':', 1)[1].split()]
        elif line.startswith('FixedParameters:'): f = [float(v) for v in line.split(':', 1)[1].split()]
    if cls.startswith('Euler2D'):
        a, c = p[0], f
        A = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]); t = np.array(p[1:3])
    elif cls.startswith('Translation'):
        A, t, c = np.eye(2), np.array(p), [0, 0]
    else:
        A, t, c = np.array(p[:4]).reshape(2, 2), np.array(p[4:6]), f
    c = np.array(c)
    return lambda x, y: (A[0, 0] * (x - c[0]) + A[0, 1] * (y - c[1]) + c[0] + t[0], A[1, 0] * (x - c[0]) + A[1, 1] * (y - c[1]) + c[1] + t[1])

def load(p):
    a = io.imread(p).astype(np.float32)
    return a[..., 0] if a.ndim == 3 else a

def board(a, b, n=8):
    h, w = a.shape
    yy, xx = np.mgrid[0:h, 0:w]
    mask = ((yy * n // h) + (xx * n // w)) % 2 == 0
    na = (a - a.min()) / (np.ptp(a) or 1); nb = (b - b.min()) / (np.ptp(b) or 1)
    return np.where(mask, na, nb)

fixed, moving = load(sys.argv[1]), load(sys.argv[2])
T = read_tfm(sys.argv[3])
h, w = fixed.shape
yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
mx, my = T(xx, yy)
resampled = ndimage.map_coordinates(moving, [my, mx], order=1, mode='constant', cval=0.0)
fig, ax = plt.subplots(1, 2, figsize=(8, 4.8))
for a, img, title in zip(ax, [board(fixed, moving), board(fixed, resampled)], ['before: T1 / PD moved (10 deg, 13, 17 px)', 'after Register-Image -Metric MI -Transform Rigid']):
    a.imshow(img, cmap='gray'); a.set_title(title, fontsize=9); a.axis('off')
fig.tight_layout(); fig.savefig(sys.argv[4], dpi=110)
