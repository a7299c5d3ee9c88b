#!/usr/bin/python3
"""Writes a PNG slice as a DICOM image (explicit VR little endian, 16-bit, 1 mm pixels) with the given modality,
patient and study, so that the archive example can be tested against a DICOMweb server with a CT/MR pair of one
patient and study. Usage: png_to_dicom.py PNG OUT.dcm MODALITY PATIENT_ID STUDY_UID"""
import sys
import numpy as np
from skimage import io
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

png, out, modality, patient, study = sys.argv[1:6]
pixels = io.imread(png)
if pixels.ndim == 3:
    pixels = pixels[..., 0]
pixels = pixels.astype(np.uint16)
meta = FileMetaDataset()
meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.2' if modality == 'CT' else '1.2.840.10008.5.1.4.1.1.4'
meta.MediaStorageSOPInstanceUID = generate_uid()
meta.TransferSyntaxUID = ExplicitVRLittleEndian
ds = FileDataset(None, {}, file_meta=meta, preamble=b'\0' * 128)
ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
ds.Modality, ds.PatientID, ds.PatientName = modality, patient, 'Test^' + patient
ds.StudyInstanceUID, ds.SeriesInstanceUID = study, generate_uid()
ds.StudyDate, ds.SeriesNumber, ds.InstanceNumber = '20260101', 1 if modality == 'CT' else 2, 1
ds.ImagePositionPatient, ds.ImageOrientationPatient = [0, 0, 0], [1, 0, 0, 0, 1, 0]
ds.PixelSpacing, ds.SliceThickness = [1, 1], 1
ds.Rows, ds.Columns = pixels.shape
ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, 'MONOCHROME2'
ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
ds.PixelData = pixels.tobytes()
ds.is_little_endian, ds.is_implicit_VR = True, False
ds.save_as(out, write_like_original=False)
