#!/usr/bin/python3
"""Writes a synthetic 120-slice CT series (512x512 int16, explicit VR little endian, 0.7 x 0.7 x 1.25 mm) for the
DICOMweb throughput benchmark: an elliptic 'head' of soft tissue with a skull ring and a few inserts, varying along z.
Usage: /usr/bin/python3 make_series.py OUTPUT_FOLDER [SLICES]"""
import sys, os
import numpy as np
import pydicom
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

out = sys.argv[1]
slices = int(sys.argv[2]) if len(sys.argv) > 2 else 120
os.makedirs(out, exist_ok=True)
study, series, frame = generate_uid(), generate_uid(), generate_uid()
n = 512
y, x = np.mgrid[0:n, 0:n].astype(np.float32)
cx = cy = (n - 1) / 2
rng = np.random.default_rng(1)
for k in range(slices):
    t = k / max(1, slices - 1)
    a, b = 200 * (0.6 + 0.4 * np.sin(np.pi * t)), 170 * (0.6 + 0.4 * np.sin(np.pi * t))
    r = ((x - cx) / a) ** 2 + ((y - cy) / b) ** 2
    hu = np.full((n, n), -1000.0, np.float32)
    hu[r < 1.0] = 40.0
    hu[(r >= 0.88) & (r < 1.0)] = 1200.0
    hu[((x - cx - 60) ** 2 + (y - cy) ** 2) < (25 + 10 * t) ** 2] = 80.0
    hu[((x - cx + 70) ** 2 + (y - cy - 30) ** 2) < 15 ** 2] = 5.0
    hu += rng.normal(0, 8, (n, n)).astype(np.float32)
    stored = np.clip(np.round(hu + 1024), 0, 4095).astype(np.uint16)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.2'
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b'\0' * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.PatientID, ds.PatientName = 'CT', 'BENCH-120', 'Bench^Series'
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
    ds.StudyDate, ds.SeriesNumber, ds.InstanceNumber = '20260101', 1, k + 1
    ds.ImagePositionPatient = [-179.2, -179.2, -75.0 + 1.25 * k]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing, ds.SliceThickness = [0.7, 0.7], 1.25
    ds.Rows = ds.Columns = n
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, 'MONOCHROME2'
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
    ds.PixelData = stored.tobytes()
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(os.path.join(out, f'slice{k + 1:03d}.dcm'), write_like_original=False)
print(f'{slices} slices of {n}x{n} written to {out}')
