#!/usr/bin/python3
"""Synthetic registration cases for bench/registration (run with Debian's /usr/bin/python3).

rigid:   CT/MR pairs of ../shared/data/ct-mr-head whose MI peak lies within MAX_SHIFT px (mi-peak-shift.tsv; the bench
         uses 0: the 16 pairs whose MI peaks at no shift, so the truth carries no residual misalignment); the MR slice is
         moved by a known Euler2D transform T (rotation about the image centre up to +-15 deg, shift up to +-15 px per
         axis), seeded. T maps a fixed (CT) point to the moving point (ITK's convention), so moving(y) = MR(T^-1(y)),
         sampled bilinearly. Writes fixed/moving MetaImages (float32) and cases.tsv with the truth.
bspline: the same pairs warped by a smooth random cubic B-spline displacement (control points every 32 px, maximum
         displacement scaled to 8 px): moving(y) = MR(y - u(y)). The truth T maps a fixed point x to the y with
         y - u(y) = x (solved by fixed-point iteration, y = x + u(y), to 1e-6 px); NNN-truth.tsv lists it on the head
         points (every 4th pixel of the CT above the CT's mean, as the bench's residual uses): x, y, Tx, Ty.
"""
import csv, math, os, sys
import numpy as np
from skimage import io
from scipy import ndimage

def write_mha(path, a):
    a = np.ascontiguousarray(a.astype(np.float32))
    h, w = a.shape
    with open(path, 'wb') as f:
        f.write((f"ObjectType = Image\nNDims = 2\nBinaryData = True\nBinaryDataByteOrderMSB = False\nCompressedData = False\n"
                 f"TransformMatrix = 1 0 0 1\nOffset = 0 0\nCenterOfRotation = 0 0\nElementSpacing = 1 1\nDimSize = {w} {h}\n"
                 f"ElementType = MET_FLOAT\nElementDataFile = LOCAL\n").encode('ascii'))
        f.write(a.tobytes())

def eligible(data, max_shift):
    rows = list(csv.DictReader(open(os.path.join(data, 'mi-peak-shift.tsv')), delimiter='\t'))
    return sorted(r['file'] for r in rows if abs(int(r['dy'])) <= max_shift and abs(int(r['dx'])) <= max_shift)

def bspline_field(rng, h, w, spacing=32, max_disp=8.0):
    gy, gx = h // spacing + 4, w // spacing + 4
    c = rng.uniform(-1, 1, size=(2, gy, gx))
    # cubic B-spline interpolation of the coefficient grid = a smooth field; zoom with order 3 then crop.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    u = np.stack([ndimage.map_coordinates(c[k], [yy / spacing + 1, xx / spacing + 1], order=3, mode='nearest') for k in range(2)])
    mag = np.sqrt(u[0] ** 2 + u[1] ** 2).max()
    return u * (max_disp / mag)  # u[0] = dy, u[1] = dx

def main(data, out, kind, count, seed, max_shift=1, max_angle=15.0, max_move=15.0):
    os.makedirs(out, exist_ok=True)
    names = eligible(data, max_shift)
    rng = np.random.default_rng(seed)
    with open(os.path.join(out, 'cases.tsv'), 'w') as t:
        if kind == 'rigid':
            t.write('case\tpair\tangle_deg\ttx\tty\tcx\tcy\tfixed\tmoving\n')
        else:
            t.write('case\tpair\tmax_disp\tfixed\tmoving\tfield\ttruth\n')
        for k in range(count):
            name = names[rng.integers(len(names))]
            ct = io.imread(os.path.join(data, 'CT', name)).astype(np.float32)
            mr = io.imread(os.path.join(data, 'MR', name)).astype(np.float32)
            if ct.ndim == 3: ct = ct[..., 0]
            if mr.ndim == 3: mr = mr[..., 0]
            h, w = ct.shape
            yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
            f = os.path.join(out, f'{k:03d}-fixed.mha'); m = os.path.join(out, f'{k:03d}-moving.mha')
            write_mha(f, ct)
            if kind == 'rigid':
                ang = rng.uniform(-max_angle, max_angle); tx, ty = rng.uniform(-max_move, max_move, size=2)
                cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
                a = math.radians(ang); c, s = math.cos(a), math.sin(a)
                # T^-1(y) = R^T (y - c - t) + c
                px, py = xx - cx - tx, yy - cy - ty
                sx = c * px + s * py + cx
                sy = -s * px + c * py + cy
                warped = ndimage.map_coordinates(mr, [sy, sx], order=1, mode='constant', cval=0.0)
                write_mha(m, warped)
                t.write(f'{k}\t{name}\t{ang:.6f}\t{tx:.6f}\t{ty:.6f}\t{cx}\t{cy}\t{f}\t{m}\n')
            else:
                u = bspline_field(rng, h, w)
                warped = ndimage.map_coordinates(mr, [yy - u[0], xx - u[1]], order=1, mode='constant', cval=0.0)
                write_mha(m, warped)
                fld = os.path.join(out, f'{k:03d}-field.npy'); np.save(fld, u)
                hy, hx = np.nonzero(ct > ct.mean())
                keep = (hy % 4 == 0) & (hx % 4 == 0)
                px, py = hx[keep].astype(np.float64), hy[keep].astype(np.float64)
                qx, qy = px.copy(), py.copy()
                for _ in range(100):
                    ux = ndimage.map_coordinates(u[1], [qy, qx], order=1, mode='nearest')
                    uy = ndimage.map_coordinates(u[0], [qy, qx], order=1, mode='nearest')
                    nx, ny = px + ux, py + uy
                    done = max(np.abs(nx - qx).max(), np.abs(ny - qy).max()) < 1e-6
                    qx, qy = nx, ny
                    if done: break
                tru = os.path.join(out, f'{k:03d}-truth.tsv')
                with open(tru, 'w') as tf:
                    tf.write('x\ty\ttx\tty\n')
                    for a, b, c, d in zip(px, py, qx, qy): tf.write(f'{a:.0f}\t{b:.0f}\t{c:.6f}\t{d:.6f}\n')
                t.write(f'{k}\t{name}\t8\t{f}\t{m}\t{fld}\t{tru}\n')

if __name__ == '__main__':
    # Optional 7th and 8th arguments (rigid cases): the largest rotation (deg) and shift per axis (px); default 15 and 15.
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]) if len(sys.argv) > 6 else 1,
         float(sys.argv[7]) if len(sys.argv) > 7 else 15.0, float(sys.argv[8]) if len(sys.argv) > 8 else 15.0)
