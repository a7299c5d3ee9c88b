using System.Buffers.Binary;
using System.Reflection;
using DeepSim.Imaging;
using DeepSim.Imaging.Dicom;
using Xunit;

namespace DeepSim.Tests.Dicom;

/// <summary>The pieces split out of <c>DicomPixelData</c>: the named tags and the frames of encapsulated pixel data.</summary>
public sealed class DicomPixelDataPartsTests
{
    public static TheoryData<string> NamedTags()
    {
        var data = new TheoryData<string>();
        foreach (var p in typeof(DicomTags).GetProperties(BindingFlags.Public | BindingFlags.Static))
        {
            data.Add(p.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(NamedTags))]
    public void EveryNamedTagIsTheDictionaryTagOfItsKeyword(string name)
    {
        var tag = (DicomTag)typeof(DicomTags).GetProperty(name)!.GetValue(null)!;
        Assert.True(DicomDictionary.TryGetTag(name, out var expected), $"{name} is not a keyword of the DICOM dictionary.");
        Assert.Equal(expected, tag);
    }

    [Fact]
    public void TheGreenAndBluePaletteTagsFollowTheRedOne()
    {
        Assert.Equal(new DicomTag(0x0028, 0x1103), DicomTags.Next(DicomTags.RedPaletteColorLookupTableDescriptor, 2));
        Assert.Equal(new DicomTag(0x0028, 0x1202), DicomTags.Next(DicomTags.RedPaletteColorLookupTableData, 1));
        Assert.Equal(new DicomTag(0x0028, 0x1223), DicomTags.Next(DicomTags.SegmentedRedPaletteColorLookupTableData, 2));
    }

    [Fact]
    public void OneFragmentPerFrameGivesViewsOfEachFragment()
    {
        var (buffer, pixel) = Encapsulate(offsetTable: [], [1, 2, 3], [4, 5]);
        var frames = EncapsulatedFrames.Split("x.dcm", 2, jpeg: false, pixel, buffer);
        Assert.Equal(2, frames.Count);
        Assert.Equal(new byte[] { 1, 2, 3 }, frames[0].ToArray());
        Assert.Equal(new byte[] { 4, 5 }, frames[1].ToArray());
    }

    [Fact]
    public void TheBasicOffsetTableGroupsFragmentsIntoFrames()
    {
        // Items: 8-byte header + value; offsets count from the first fragment item's header.
        var (buffer, pixel) = Encapsulate(offsetTable: [0, (8 + 2) + (8 + 2)], [1, 2], [3, 4], [5, 6]);
        var frames = EncapsulatedFrames.Split("x.dcm", 2, jpeg: false, pixel, buffer);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, frames[0].ToArray());
        Assert.Equal(new byte[] { 5, 6 }, frames[1].ToArray());
    }

    [Fact]
    public void WithoutAnOffsetTableJpegFramesStartAtStartOfImageMarkers()
    {
        var (buffer, pixel) = Encapsulate(offsetTable: [], [0xFF, 0xD8, 1], [2, 3], [0xFF, 0xD8, 4]);
        var frames = EncapsulatedFrames.Split("x.dcm", 2, jpeg: true, pixel, buffer);
        Assert.Equal(new byte[] { 0xFF, 0xD8, 1, 2, 3 }, frames[0].ToArray());
        Assert.Equal(new byte[] { 0xFF, 0xD8, 4 }, frames[1].ToArray());
    }

    [Fact]
    public void ASingleFrameTakesEveryFragment()
    {
        var (buffer, pixel) = Encapsulate(offsetTable: [], [1], [2], [3]);
        var frames = EncapsulatedFrames.Split("x.dcm", 1, jpeg: false, pixel, buffer);
        Assert.Equal(new byte[] { 1, 2, 3 }, Assert.Single(frames).ToArray());
    }

    [Fact]
    public void FragmentsThatCannotMakeTheDeclaredFramesAreRefused()
    {
        var (few, fewPixel) = Encapsulate(offsetTable: [], [1], [2]);
        Assert.Equal(ImageReadError.DataSizeMismatch, Assert.Throws<ImageReadException>(() => EncapsulatedFrames.Split("x.dcm", 3, jpeg: false, fewPixel, few)).Error);

        var (ungrouped, ungroupedPixel) = Encapsulate(offsetTable: [], [1], [2], [3]);
        Assert.Equal(ImageReadError.CorruptHeader, Assert.Throws<ImageReadException>(() => EncapsulatedFrames.Split("x.dcm", 2, jpeg: false, ungroupedPixel, ungrouped)).Error);

        var (empty, emptyPixel) = Encapsulate(offsetTable: []);
        Assert.Equal(ImageReadError.Truncated, Assert.Throws<ImageReadException>(() => EncapsulatedFrames.Split("x.dcm", 1, jpeg: false, emptyPixel, empty)).Error);
    }

    /// <summary>Encapsulated pixel data as the parser leaves it: a buffer of items and the element with its fragments, the offset table first.</summary>
    private static (byte[] Buffer, DicomElement Pixel) Encapsulate(uint[] offsetTable, params byte[][] fragments)
    {
        var values = new List<byte[]> { new byte[4 * offsetTable.Length] };
        for (var i = 0; i < offsetTable.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(values[0].AsSpan(4 * i), offsetTable[i]);
        }

        values.AddRange(fragments);
        var buffer = new List<byte>();
        var items = new List<(int Offset, int Length)>();
        foreach (var v in values)
        {
            buffer.AddRange(new byte[8]);
            items.Add((buffer.Count, v.Length));
            buffer.AddRange(v);
        }

        var pixel = new DicomElement(DicomTags.PixelData, "OB", 0, -1, 0) { Fragments = items };
        return ([.. buffer], pixel);
    }
}
