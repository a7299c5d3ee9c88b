namespace DeepSim.Imaging.Dicom;

/// <summary>Plane geometry of one DICOM image or frame, in LPS patient coordinates (mm).</summary>
internal sealed record DicomPlane(double[]? Position, double[]? Orientation, double[]? PixelSpacing, double SliceThickness, double SpacingBetweenSlices)
{

    /// <summary>Row direction cosines (along x, the columns index).</summary>
    public double[]? Row => Orientation is { Length: 6 } o ? [o[0], o[1], o[2]] : null;

    /// <summary>Column direction cosines (along y, the rows index).</summary>
    public double[]? Column => Orientation is { Length: 6 } o ? [o[3], o[4], o[5]] : null;

    /// <summary>Slice normal = row x column; null without orientation.</summary>
    public double[]? Normal => Orientation is { Length: 6 } ? Cross(Row!, Column!) : null;

    /// <summary>The plane of a frame: top-level attributes, overridden by shared then per-frame functional groups.</summary>
    public static DicomPlane Of(DicomDataset ds, int frame)
    {
        var position = Valid(ds.GetDoubles(DicomTags.ImagePositionPatient), 3);
        var orientation = ValidOrientation(ds.GetDoubles(DicomTags.ImageOrientationPatient));
        var spacing = Valid(ds.GetDoubles(DicomTags.PixelSpacing), 2) ?? Valid(ds.GetDoubles(DicomTags.ImagerPixelSpacing), 2);
        var thickness = First(ds.GetDoubles(DicomTags.SliceThickness));
        var between = First(ds.GetDoubles(DicomTags.SpacingBetweenSlices));
        foreach (var (groups, index) in new[] { (ds.GetSequence(DicomTags.SharedFunctionalGroupsSequence), 0), (ds.GetSequence(DicomTags.PerFrameFunctionalGroupsSequence), frame) })
        {
            if (groups.Count <= index)
            {
                continue;
            }

            var item = groups[index];
            if (item.GetSequence(DicomTags.PixelMeasuresSequence) is { Count: > 0 } pm)
            {
                spacing = Valid(pm[0].GetDoubles(DicomTags.PixelSpacing), 2) ?? spacing;
                thickness = First(pm[0].GetDoubles(DicomTags.SliceThickness)) is var t && t > 0 ? t : thickness;
                between = First(pm[0].GetDoubles(DicomTags.SpacingBetweenSlices)) is var b && b > 0 ? b : between;
            }

            if (item.GetSequence(DicomTags.PlaneOrientationSequence) is { Count: > 0 } po)
            {
                orientation = ValidOrientation(po[0].GetDoubles(DicomTags.ImageOrientationPatient)) ?? orientation;
            }

            if (item.GetSequence(DicomTags.PlanePositionSequence) is { Count: > 0 } pp)
            {
                position = Valid(pp[0].GetDoubles(DicomTags.ImagePositionPatient), 3) ?? position;
            }
        }

        return new DicomPlane(position, orientation, spacing, thickness, between);
    }

    public static double[] Cross(double[] a, double[] b) =>
        [(a[1] * b[2]) - (a[2] * b[1]), (a[2] * b[0]) - (a[0] * b[2]), (a[0] * b[1]) - (a[1] * b[0])];

    public static double Dot(double[] a, double[] b) => (a[0] * b[0]) + (a[1] * b[1]) + (a[2] * b[2]);

    private static double First(double[] v) => v.Length > 0 && v[0] > 0 ? v[0] : 0;

    private static double[]? Valid(double[] v, int n) => v.Length >= n ? v[..n] : null;

    private static double[]? ValidOrientation(double[] v)
    {
        if (v.Length < 6)
        {
            return null;
        }

        // Normalise each direction; reject degenerate ones.
        var r = Normalize([v[0], v[1], v[2]]);
        var c = Normalize([v[3], v[4], v[5]]);
        if (r is null || c is null || Math.Abs(Dot(r, c)) > 0.01)
        {
            return null;
        }

        return [r[0], r[1], r[2], c[0], c[1], c[2]];
    }

    private static double[]? Normalize(double[] v)
    {
        var n = Math.Sqrt(Dot(v, v));
        return n < 1e-6 ? null : [v[0] / n, v[1] / n, v[2] / n];
    }
}
