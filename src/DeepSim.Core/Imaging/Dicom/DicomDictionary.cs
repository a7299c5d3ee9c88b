namespace DeepSim.Imaging.Dicom;

/// <summary>One entry of the DICOM data dictionary.</summary>
/// <param name="Tag">The tag.</param>
/// <param name="Vr">Value representation (two letters, e.g. "PN").</param>
/// <param name="Keyword">DICOM keyword (e.g. "PatientName").</param>
public sealed record DicomDictionaryEntry(DicomTag Tag, string Vr, string Keyword);

/// <summary>
/// The DICOM keywords DeepSim knows: the common file-meta, patient, study, series, equipment, image, pixel,
/// enhanced multi-frame, RT and SR tags. Unknown tags are still readable by (group,element).
/// </summary>
public static class DicomDictionary
{
    private static readonly DicomDictionaryEntry[] Entries = Build();
    private static readonly Dictionary<uint, DicomDictionaryEntry> ByTag = Entries.ToDictionary(e => e.Tag.Value);
    private static readonly Dictionary<string, DicomDictionaryEntry> ByKeyword = Entries.ToDictionary(e => e.Keyword, StringComparer.OrdinalIgnoreCase);

    /// <summary>All known entries.</summary>
    public static IReadOnlyList<DicomDictionaryEntry> All => Entries;

    /// <summary>Finds a tag by keyword (case-insensitive) or by "(gggg,eeee)" / "gggg,eeee" / "ggggeeee".</summary>
    public static bool TryGetTag(string keywordOrTag, out DicomTag tag)
    {
        if (keywordOrTag is not null && ByKeyword.TryGetValue(keywordOrTag.Trim(), out var e))
        {
            tag = e.Tag;
            return true;
        }

        return DicomTag.TryParse(keywordOrTag, out tag);
    }

    /// <summary>The dictionary entry of a tag, or null (private and unknown tags).</summary>
    public static DicomDictionaryEntry? Find(DicomTag tag)
    {
        if (ByTag.TryGetValue(tag.Value, out var e))
        {
            return e;
        }

        // Group length (gggg,0000) of any group.
        return tag.Element == 0 && !tag.IsPrivate ? new DicomDictionaryEntry(tag, "UL", "GroupLength") : null;
    }

    /// <summary>The keyword of a tag, or null when unknown.</summary>
    public static string? KeywordOf(DicomTag tag) => Find(tag)?.Keyword;

    /// <summary>The VR a tag has in implicit-VR encodings ("UN" when unknown).</summary>
    internal static string ImplicitVr(DicomTag tag)
    {
        if (ByTag.TryGetValue(tag.Value, out var e))
        {
            return e.Vr;
        }

        if (tag.Element == 0)
        {
            return "UL";
        }

        // Private creator elements (gggg,0010-00FF) are LO.
        return tag.IsPrivate && tag.Element is >= 0x0010 and <= 0x00FF ? "LO" : "UN";
    }

    private static DicomDictionaryEntry[] Build()
    {
        (uint Tag, string Vr, string Keyword)[] t =
        [
            (0x00020000, "UL", "FileMetaInformationGroupLength"),
            (0x00020001, "OB", "FileMetaInformationVersion"),
            (0x00020002, "UI", "MediaStorageSOPClassUID"),
            (0x00020003, "UI", "MediaStorageSOPInstanceUID"),
            (0x00020010, "UI", "TransferSyntaxUID"),
            (0x00020012, "UI", "ImplementationClassUID"),
            (0x00020013, "SH", "ImplementationVersionName"),
            (0x00020016, "AE", "SourceApplicationEntityTitle"),
            (0x00080005, "CS", "SpecificCharacterSet"),
            (0x00080008, "CS", "ImageType"),
            (0x00080012, "DA", "InstanceCreationDate"),
            (0x00080013, "TM", "InstanceCreationTime"),
            (0x00080016, "UI", "SOPClassUID"),
            (0x00080018, "UI", "SOPInstanceUID"),
            (0x00080020, "DA", "StudyDate"),
            (0x00080021, "DA", "SeriesDate"),
            (0x00080022, "DA", "AcquisitionDate"),
            (0x00080023, "DA", "ContentDate"),
            (0x0008002A, "DT", "AcquisitionDateTime"),
            (0x00080030, "TM", "StudyTime"),
            (0x00080031, "TM", "SeriesTime"),
            (0x00080032, "TM", "AcquisitionTime"),
            (0x00080033, "TM", "ContentTime"),
            (0x00080050, "SH", "AccessionNumber"),
            (0x00080060, "CS", "Modality"),
            (0x00080064, "CS", "ConversionType"),
            (0x00080070, "LO", "Manufacturer"),
            (0x00080080, "LO", "InstitutionName"),
            (0x00080090, "PN", "ReferringPhysicianName"),
            (0x00081010, "SH", "StationName"),
            (0x00081030, "LO", "StudyDescription"),
            (0x0008103E, "LO", "SeriesDescription"),
            (0x00081040, "LO", "InstitutionalDepartmentName"),
            (0x00081090, "LO", "ManufacturerModelName"),
            (0x00081140, "SQ", "ReferencedImageSequence"),
            (0x00081150, "UI", "ReferencedSOPClassUID"),
            (0x00081155, "UI", "ReferencedSOPInstanceUID"),
            (0x00082111, "ST", "DerivationDescription"),
            (0x00100010, "PN", "PatientName"),
            (0x00100020, "LO", "PatientID"),
            (0x00100030, "DA", "PatientBirthDate"),
            (0x00100040, "CS", "PatientSex"),
            (0x00101010, "AS", "PatientAge"),
            (0x00101020, "DS", "PatientSize"),
            (0x00101030, "DS", "PatientWeight"),
            (0x00180010, "LO", "ContrastBolusAgent"),
            (0x00180015, "CS", "BodyPartExamined"),
            (0x00180020, "CS", "ScanningSequence"),
            (0x00180021, "CS", "SequenceVariant"),
            (0x00180022, "CS", "ScanOptions"),
            (0x00180023, "CS", "MRAcquisitionType"),
            (0x00180050, "DS", "SliceThickness"),
            (0x00180060, "DS", "KVP"),
            (0x00180080, "DS", "RepetitionTime"),
            (0x00180081, "DS", "EchoTime"),
            (0x00180082, "DS", "InversionTime"),
            (0x00180083, "DS", "NumberOfAverages"),
            (0x00180084, "DS", "ImagingFrequency"),
            (0x00180086, "IS", "EchoNumbers"),
            (0x00180087, "DS", "MagneticFieldStrength"),
            (0x00180088, "DS", "SpacingBetweenSlices"),
            (0x00180091, "IS", "EchoTrainLength"),
            (0x00180095, "DS", "PixelBandwidth"),
            (0x00181020, "LO", "SoftwareVersions"),
            (0x00181030, "LO", "ProtocolName"),
            (0x00181050, "DS", "SpatialResolution"),
            (0x00181100, "DS", "ReconstructionDiameter"),
            (0x00181110, "DS", "DistanceSourceToDetector"),
            (0x00181111, "DS", "DistanceSourceToPatient"),
            (0x00181120, "DS", "GantryDetectorTilt"),
            (0x00181130, "DS", "TableHeight"),
            (0x00181140, "CS", "RotationDirection"),
            (0x00181150, "IS", "ExposureTime"),
            (0x00181151, "IS", "XRayTubeCurrent"),
            (0x00181152, "IS", "Exposure"),
            (0x00181160, "SH", "FilterType"),
            (0x00181164, "DS", "ImagerPixelSpacing"),
            (0x00181210, "SH", "ConvolutionKernel"),
            (0x00181250, "SH", "ReceiveCoilName"),
            (0x00181310, "US", "AcquisitionMatrix"),
            (0x00181314, "DS", "FlipAngle"),
            (0x00185100, "CS", "PatientPosition"),
            (0x00189087, "FD", "DiffusionBValue"),
            (0x0020000D, "UI", "StudyInstanceUID"),
            (0x0020000E, "UI", "SeriesInstanceUID"),
            (0x00200010, "SH", "StudyID"),
            (0x00200011, "IS", "SeriesNumber"),
            (0x00200012, "IS", "AcquisitionNumber"),
            (0x00200013, "IS", "InstanceNumber"),
            (0x00200020, "CS", "PatientOrientation"),
            (0x00200032, "DS", "ImagePositionPatient"),
            (0x00200037, "DS", "ImageOrientationPatient"),
            (0x00200052, "UI", "FrameOfReferenceUID"),
            (0x00200060, "CS", "Laterality"),
            (0x00200100, "IS", "TemporalPositionIdentifier"),
            (0x00200105, "IS", "NumberOfTemporalPositions"),
            (0x00201040, "LO", "PositionReferenceIndicator"),
            (0x00201041, "DS", "SliceLocation"),
            (0x00204000, "LT", "ImageComments"),
            (0x00209113, "SQ", "PlanePositionSequence"),
            (0x00209116, "SQ", "PlaneOrientationSequence"),
            (0x00209111, "SQ", "FrameContentSequence"),
            (0x00209157, "UL", "DimensionIndexValues"),
            (0x00280002, "US", "SamplesPerPixel"),
            (0x00280004, "CS", "PhotometricInterpretation"),
            (0x00280006, "US", "PlanarConfiguration"),
            (0x00280008, "IS", "NumberOfFrames"),
            (0x00280009, "AT", "FrameIncrementPointer"),
            (0x00280010, "US", "Rows"),
            (0x00280011, "US", "Columns"),
            (0x00280030, "DS", "PixelSpacing"),
            (0x00280034, "IS", "PixelAspectRatio"),
            (0x00280100, "US", "BitsAllocated"),
            (0x00280101, "US", "BitsStored"),
            (0x00280102, "US", "HighBit"),
            (0x00280103, "US", "PixelRepresentation"),
            (0x00280106, "US", "SmallestImagePixelValue"),
            (0x00280107, "US", "LargestImagePixelValue"),
            (0x00280120, "US", "PixelPaddingValue"),
            (0x00280301, "CS", "BurnedInAnnotation"),
            (0x00281050, "DS", "WindowCenter"),
            (0x00281051, "DS", "WindowWidth"),
            (0x00281052, "DS", "RescaleIntercept"),
            (0x00281053, "DS", "RescaleSlope"),
            (0x00281054, "LO", "RescaleType"),
            (0x00281101, "US", "RedPaletteColorLookupTableDescriptor"),
            (0x00281102, "US", "GreenPaletteColorLookupTableDescriptor"),
            (0x00281103, "US", "BluePaletteColorLookupTableDescriptor"),
            (0x00281201, "OW", "RedPaletteColorLookupTableData"),
            (0x00281202, "OW", "GreenPaletteColorLookupTableData"),
            (0x00281203, "OW", "BluePaletteColorLookupTableData"),
            (0x00281221, "OW", "SegmentedRedPaletteColorLookupTableData"),
            (0x00281222, "OW", "SegmentedGreenPaletteColorLookupTableData"),
            (0x00281223, "OW", "SegmentedBluePaletteColorLookupTableData"),
            (0x00282110, "CS", "LossyImageCompression"),
            (0x00283000, "SQ", "ModalityLUTSequence"),
            (0x00283010, "SQ", "VOILUTSequence"),
            (0x00289110, "SQ", "PixelMeasuresSequence"),
            (0x00289145, "SQ", "PixelValueTransformationSequence"),
            (0x00320060, "LO", "StudyStatus"),
            (0x00400244, "DA", "PerformedProcedureStepStartDate"),
            (0x00400253, "SH", "PerformedProcedureStepID"),
            (0x0040A040, "CS", "ValueType"),
            (0x0040A043, "SQ", "ConceptNameCodeSequence"),
            (0x0040A160, "UT", "TextValue"),
            (0x0040A730, "SQ", "ContentSequence"),
            (0x00540081, "US", "NumberOfSlices"),
            (0x00541001, "CS", "Units"),
            (0x00620002, "SQ", "SegmentSequence"),
            (0x300A0002, "SH", "RTPlanLabel"),
            (0x300A0003, "LO", "RTPlanName"),
            (0x300A000C, "CS", "RTPlanGeometry"),
            (0x30060002, "SH", "StructureSetLabel"),
            (0x30060020, "SQ", "StructureSetROISequence"),
            (0x30040002, "CS", "DoseUnits"),
            (0x30040004, "CS", "DoseType"),
            (0x3004000C, "DS", "GridFrameOffsetVector"),
            (0x3004000E, "DS", "DoseGridScaling"),
            (0x52009229, "SQ", "SharedFunctionalGroupsSequence"),
            (0x52009230, "SQ", "PerFrameFunctionalGroupsSequence"),
            (0x7FE00008, "OF", "FloatPixelData"),
            (0x7FE00009, "OD", "DoubleFloatPixelData"),
            (0x7FE00010, "OW", "PixelData"),
            (0xFFFEE000, "UN", "Item"),
            (0xFFFEE00D, "UN", "ItemDelimitationItem"),
            (0xFFFEE0DD, "UN", "SequenceDelimitationItem"),
        ];
        return [.. t.Select(x => new DicomDictionaryEntry(new DicomTag((ushort)(x.Tag >> 16), (ushort)x.Tag), x.Vr, x.Keyword))];
    }
}
