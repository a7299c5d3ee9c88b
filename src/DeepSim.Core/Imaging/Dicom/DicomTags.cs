namespace DeepSim.Imaging.Dicom;

/// <summary>
/// The DICOM attribute tags DeepSim reads, named by their keyword in PS3.6 (the one place a tag number is written;
/// the readers use these names instead of inline <c>new DicomTag(0x0028, ...)</c>).
/// </summary>
public static class DicomTags
{
    // File meta information (group 0002).

    /// <summary>(0002,0002) Media Storage SOP Class UID.</summary>
    public static DicomTag MediaStorageSOPClassUID { get; } = new(0x0002, 0x0002);

    /// <summary>(0002,0010) Transfer Syntax UID.</summary>
    public static DicomTag TransferSyntaxUID { get; } = new(0x0002, 0x0010);

    // Identification and description.

    /// <summary>(0008,0005) Specific Character Set.</summary>
    public static DicomTag SpecificCharacterSet { get; } = new(0x0008, 0x0005);

    /// <summary>(0008,0016) SOP Class UID.</summary>
    public static DicomTag SOPClassUID { get; } = new(0x0008, 0x0016);

    /// <summary>(0008,0018) SOP Instance UID.</summary>
    public static DicomTag SOPInstanceUID { get; } = new(0x0008, 0x0018);

    /// <summary>(0008,0020) Study Date.</summary>
    public static DicomTag StudyDate { get; } = new(0x0008, 0x0020);

    /// <summary>(0008,0030) Study Time.</summary>
    public static DicomTag StudyTime { get; } = new(0x0008, 0x0030);

    /// <summary>(0008,0050) Accession Number.</summary>
    public static DicomTag AccessionNumber { get; } = new(0x0008, 0x0050);

    /// <summary>(0008,0060) Modality.</summary>
    public static DicomTag Modality { get; } = new(0x0008, 0x0060);

    /// <summary>(0008,0070) Manufacturer.</summary>
    public static DicomTag Manufacturer { get; } = new(0x0008, 0x0070);

    /// <summary>(0008,1030) Study Description.</summary>
    public static DicomTag StudyDescription { get; } = new(0x0008, 0x1030);

    /// <summary>(0008,103E) Series Description.</summary>
    public static DicomTag SeriesDescription { get; } = new(0x0008, 0x103E);

    /// <summary>(0010,0010) Patient's Name.</summary>
    public static DicomTag PatientName { get; } = new(0x0010, 0x0010);

    /// <summary>(0010,0020) Patient ID.</summary>
    public static DicomTag PatientID { get; } = new(0x0010, 0x0020);

    /// <summary>(0018,0015) Body Part Examined.</summary>
    public static DicomTag BodyPartExamined { get; } = new(0x0018, 0x0015);

    /// <summary>(0020,000D) Study Instance UID.</summary>
    public static DicomTag StudyInstanceUID { get; } = new(0x0020, 0x000D);

    /// <summary>(0020,000E) Series Instance UID.</summary>
    public static DicomTag SeriesInstanceUID { get; } = new(0x0020, 0x000E);

    /// <summary>(0020,0010) Study ID.</summary>
    public static DicomTag StudyID { get; } = new(0x0020, 0x0010);

    /// <summary>(0020,0011) Series Number.</summary>
    public static DicomTag SeriesNumber { get; } = new(0x0020, 0x0011);

    /// <summary>(0020,0013) Instance Number.</summary>
    public static DicomTag InstanceNumber { get; } = new(0x0020, 0x0013);

    /// <summary>(0020,0052) Frame of Reference UID.</summary>
    public static DicomTag FrameOfReferenceUID { get; } = new(0x0020, 0x0052);

    // Geometry.

    /// <summary>(0018,0050) Slice Thickness.</summary>
    public static DicomTag SliceThickness { get; } = new(0x0018, 0x0050);

    /// <summary>(0018,0088) Spacing Between Slices.</summary>
    public static DicomTag SpacingBetweenSlices { get; } = new(0x0018, 0x0088);

    /// <summary>(0018,1164) Imager Pixel Spacing.</summary>
    public static DicomTag ImagerPixelSpacing { get; } = new(0x0018, 0x1164);

    /// <summary>(0020,0032) Image Position (Patient).</summary>
    public static DicomTag ImagePositionPatient { get; } = new(0x0020, 0x0032);

    /// <summary>(0020,0037) Image Orientation (Patient).</summary>
    public static DicomTag ImageOrientationPatient { get; } = new(0x0020, 0x0037);

    /// <summary>(0020,9113) Plane Position Sequence (a functional group).</summary>
    public static DicomTag PlanePositionSequence { get; } = new(0x0020, 0x9113);

    /// <summary>(0020,9116) Plane Orientation Sequence (a functional group).</summary>
    public static DicomTag PlaneOrientationSequence { get; } = new(0x0020, 0x9116);

    /// <summary>(0028,0030) Pixel Spacing.</summary>
    public static DicomTag PixelSpacing { get; } = new(0x0028, 0x0030);

    /// <summary>(0028,9110) Pixel Measures Sequence (a functional group).</summary>
    public static DicomTag PixelMeasuresSequence { get; } = new(0x0028, 0x9110);

    /// <summary>(3004,000C) Grid Frame Offset Vector (RT dose).</summary>
    public static DicomTag GridFrameOffsetVector { get; } = new(0x3004, 0x000C);

    /// <summary>(5200,9229) Shared Functional Groups Sequence.</summary>
    public static DicomTag SharedFunctionalGroupsSequence { get; } = new(0x5200, 0x9229);

    /// <summary>(5200,9230) Per-Frame Functional Groups Sequence.</summary>
    public static DicomTag PerFrameFunctionalGroupsSequence { get; } = new(0x5200, 0x9230);

    // Image pixel description.

    /// <summary>(0028,0002) Samples per Pixel.</summary>
    public static DicomTag SamplesPerPixel { get; } = new(0x0028, 0x0002);

    /// <summary>(0028,0004) Photometric Interpretation.</summary>
    public static DicomTag PhotometricInterpretation { get; } = new(0x0028, 0x0004);

    /// <summary>(0028,0006) Planar Configuration.</summary>
    public static DicomTag PlanarConfiguration { get; } = new(0x0028, 0x0006);

    /// <summary>(0028,0008) Number of Frames.</summary>
    public static DicomTag NumberOfFrames { get; } = new(0x0028, 0x0008);

    /// <summary>(0028,0010) Rows.</summary>
    public static DicomTag Rows { get; } = new(0x0028, 0x0010);

    /// <summary>(0028,0011) Columns.</summary>
    public static DicomTag Columns { get; } = new(0x0028, 0x0011);

    /// <summary>(0028,0100) Bits Allocated.</summary>
    public static DicomTag BitsAllocated { get; } = new(0x0028, 0x0100);

    /// <summary>(0028,0101) Bits Stored.</summary>
    public static DicomTag BitsStored { get; } = new(0x0028, 0x0101);

    /// <summary>(0028,0102) High Bit.</summary>
    public static DicomTag HighBit { get; } = new(0x0028, 0x0102);

    /// <summary>(0028,0103) Pixel Representation (1 = signed).</summary>
    public static DicomTag PixelRepresentation { get; } = new(0x0028, 0x0103);

    /// <summary>(0028,1050) Window Center.</summary>
    public static DicomTag WindowCenter { get; } = new(0x0028, 0x1050);

    /// <summary>(0028,1051) Window Width.</summary>
    public static DicomTag WindowWidth { get; } = new(0x0028, 0x1051);

    /// <summary>(0028,1052) Rescale Intercept.</summary>
    public static DicomTag RescaleIntercept { get; } = new(0x0028, 0x1052);

    /// <summary>(0028,1053) Rescale Slope.</summary>
    public static DicomTag RescaleSlope { get; } = new(0x0028, 0x1053);

    /// <summary>(0028,1054) Rescale Type.</summary>
    public static DicomTag RescaleType { get; } = new(0x0028, 0x1054);

    /// <summary>(0028,9145) Pixel Value Transformation Sequence (a functional group).</summary>
    public static DicomTag PixelValueTransformationSequence { get; } = new(0x0028, 0x9145);

    // Palette colour lookup tables: red, green, blue follow each other (element + 0, 1, 2).

    /// <summary>(0028,1101) Red Palette Color Lookup Table Descriptor; green and blue are (0028,1102) and (0028,1103).</summary>
    public static DicomTag RedPaletteColorLookupTableDescriptor { get; } = new(0x0028, 0x1101);

    /// <summary>(0028,1201) Red Palette Color Lookup Table Data; green and blue are (0028,1202) and (0028,1203).</summary>
    public static DicomTag RedPaletteColorLookupTableData { get; } = new(0x0028, 0x1201);

    /// <summary>(0028,1221) Segmented Red Palette Color Lookup Table Data; green and blue are (0028,1222) and (0028,1223).</summary>
    public static DicomTag SegmentedRedPaletteColorLookupTableData { get; } = new(0x0028, 0x1221);

    // Pixel data and the encoding's structure.

    /// <summary>(7FE0,0008) Float Pixel Data.</summary>
    public static DicomTag FloatPixelData { get; } = new(0x7FE0, 0x0008);

    /// <summary>(7FE0,0009) Double Float Pixel Data.</summary>
    public static DicomTag DoubleFloatPixelData { get; } = new(0x7FE0, 0x0009);

    /// <summary>(7FE0,0010) Pixel Data.</summary>
    public static DicomTag PixelData { get; } = new(0x7FE0, 0x0010);

    /// <summary>(FFFE,E000) Item.</summary>
    public static DicomTag Item { get; } = new(0xFFFE, 0xE000);

    /// <summary>(FFFE,E00D) Item Delimitation Item.</summary>
    public static DicomTag ItemDelimitationItem { get; } = new(0xFFFE, 0xE00D);

    /// <summary>(FFFE,E0DD) Sequence Delimitation Item.</summary>
    public static DicomTag SequenceDelimitationItem { get; } = new(0xFFFE, 0xE0DD);

    /// <summary>The tag <paramref name="offset"/> elements after <paramref name="first"/> (the green and blue palette tags after the red one).</summary>
    internal static DicomTag Next(DicomTag first, int offset) => new(first.Group, (ushort)(first.Element + offset));
}
