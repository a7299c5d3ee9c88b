#!/usr/bin/python3
"""Case 4 (3D): MNI T1 template (fixed) against the CT template scct.nii (moving) moved by a known Euler3D transform.

usage: make_cases3d.py MNI_DIR OUT_DIR COUNT SEED [rigid|affine]
Both templates are on the identical 91x109x91 grid at 2 mm; they are written as MetaImages with spacing 2 mm, zero
origin and identity direction (the shared grid), so physical point = 2 mm x index. The truth T maps a fixed point to
the moving point, T(x) = R (x - c) + c + t, R = Rz Rx Ry (ITK's Euler3D), c the grid centre; rotations uniform in
+-10 deg per axis, shifts uniform in +-10 mm per axis. moving(y) = CT(T^-1(y)), trilinear.
affine: T(x) = A (x - c) + c + t with A = R S H: R as above, S = diag(scales uniform in 0.9-1.1), H = I plus shears
uniform in +-0.05 above the diagonal; cases.tsv then has the matrix row-major (m0..m8) instead of the angles.
"""
import math, os, sys
import numpy as np
import nibabel as nib
from scipy import ndimage

def write_mha(path, a):  # a indexed [x, y, z]
    a = np.asarray(a, dtype=np.float32)
    nx, ny, nz = a.shape
    with open(path, 'wb') as f:
        f.write((f"ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\nCompressedData = False\n"
                 f"TransformMatrix = 1 0 0 0 1 0 0 0 1\nOffset = 0 0 0\nCenterOfRotation = 0 0 0\nElementSpacing = 2 2 2\n"
                 f"DimSize = {nx} {ny} {nz}\nElementType = MET_FLOAT\nElementDataFile = LOCAL\n").encode('ascii'))
        f.write(np.ascontiguousarray(a.transpose(2, 1, 0)).tobytes())

def euler(ax, ay, az):
    cx, sx, cy, sy, cz, sz = math.cos(ax), math.sin(ax), math.cos(ay), math.sin(ay), math.cos(az), math.sin(az)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]]); ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]]); rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ rx @ ry

def main(mni, out, count, seed, kind='rigid'):
    os.makedirs(out, exist_ok=True)
    t1 = np.asarray(nib.load(os.path.join(mni, 'avg152T1.nii')).get_fdata(), dtype=np.float32)
    ct = np.asarray(nib.load(os.path.join(mni, 'scct.nii')).get_fdata(), dtype=np.float32)
    f = os.path.join(out, 't1.mha'); write_mha(f, t1)
    n = np.array(t1.shape); c = (n - 1) / 2.0 * 2.0
    grid = np.stack(np.meshgrid(*[np.arange(k) * 2.0 for k in n], indexing='ij'), -1)  # [x, y, z, 3] in mm
    rng = np.random.default_rng(seed)
    with open(os.path.join(out, 'cases.tsv'), 'w') as t:
        if kind == 'rigid':
            t.write('case\tax\tay\taz\ttx\tty\ttz\tcx\tcy\tcz\tfixed\tmoving\n')
        else:
            t.write('case\t' + '\t'.join(f'm{i}' for i in range(9)) + '\ttx\tty\ttz\tcx\tcy\tcz\tfixed\tmoving\n')
        for k in range(count):
            a = np.radians(rng.uniform(-10, 10, 3)); tr = rng.uniform(-10, 10, 3)
            r = euler(*a)
            if kind == 'affine':
                sc = np.diag(rng.uniform(0.9, 1.1, 3)); h = np.eye(3)
                h[0, 1], h[0, 2], h[1, 2] = rng.uniform(-0.05, 0.05, 3)
                r = r @ sc @ h
            src = (grid - c - tr) @ np.linalg.inv(r).T + c   # A^-1 (y - c - t) + c, row vectors
            warped = ndimage.map_coordinates(ct, [src[..., 0] / 2, src[..., 1] / 2, src[..., 2] / 2], order=1, mode='constant', cval=float(ct.min()))
            m = os.path.join(out, f'{k:03d}-ct.mha'); write_mha(m, warped)
            head = [*a] if kind == 'rigid' else [*r.reshape(-1)]
            t.write(f'{k}\t' + '\t'.join(f'{v:.8f}' for v in [*head, *tr, *c]) + f'\t{f}\t{m}\n')

if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] if len(sys.argv) > 5 else 'rigid')
