using System.Globalization;

namespace DeepSim.Imaging.Dicom;

/// <summary>
/// Turns the slices of many files into volumes: one per series (Series Instance UID) and stack (same size and orientation),
/// sorted by position along the slice normal, spacing from positions, with warnings on gaps, uneven spacing,
/// duplicate positions and mixed orientations. Multi-frame files stay images of their own.
/// </summary>
internal static class DicomSeriesAssembler
{
    /// <summary>Relative deviation from the median slice step that counts as uneven.</summary>
    internal const double SpacingTolerance = 0.01;

    /// <summary>
    /// Groups the slices into stacks at once (headers only), then builds and yields one image per stack when the caller
    /// asks for it, so that only one volume is held at a time.
    /// </summary>
    /// <param name="slices">The slices to assemble.</param>
    /// <param name="onFileError">Called for each slice that cannot be used.</param>
    /// <param name="onWarning">Called with each warning about a series.</param>
    /// <param name="cancellationToken">Cancels between slices.</param>
    /// <param name="source">The SourcePath of assembled volumes (e.g. a series URL); by default their files' folder.</param>
    public static IEnumerable<MedicalImage> Assemble(List<DicomSlice> slices, Action<ImageReadException> onFileError, Action<string> onWarning, CancellationToken cancellationToken, string? source = null)
    {
        var alternates = new Dictionary<DicomSlice, Queue<DicomSlice>>(ReferenceEqualityComparer.Instance);
        var stacks = new List<(string Series, List<DicomSlice> Slices)>();
        foreach (var group in slices.GroupBy(s => s.SeriesUid ?? "(no series UID) " + s.Path, StringComparer.Ordinal))
        {
            // The same instance (SOP Instance UID) in several files, e.g. in different transfer syntaxes: keep one, preferring
            // a file whose pixel data is all there, and hold the others back in case the kept one does not decode.
            var series = new List<DicomSlice>();
            foreach (var same in group.GroupBy(s => s.SopInstanceUid ?? "(no instance UID) " + s.Path, StringComparer.Ordinal))
            {
                var copies = same.OrderBy(s => s.PixelDataComplete ? 0 : 1).ToList();
                var kept = copies[0];
                series.Add(kept);
                if (copies.Count == 1)
                {
                    continue;
                }

                alternates[kept] = new Queue<DicomSlice>(copies.Skip(1));
                foreach (var other in copies.Skip(1))
                {
                    var why = other.PixelDataComplete ? string.Empty : " (its pixel data is cut short: the file ends early)";
                    onWarning($"DICOM series {group.Key}: {System.IO.Path.GetFileName(other.Path)} holds the same instance (SOP Instance UID {same.Key}) as {System.IO.Path.GetFileName(kept.Path)}{why}; only the latter is used.");
                }
            }

            var singles = series.Where(s => s.Frames > 1).ToList();
            foreach (var s in singles)
            {
                stacks.Add((group.Key, [s]));
            }

            var groups = series.Where(s => s.Frames == 1)
                .GroupBy(s => $"{s.Columns}x{s.Rows}|{OrientationKey(s.Plane)}", StringComparer.Ordinal)
                .ToList();
            if (groups.Count > 1)
            {
                var orientations = groups.Select(g => OrientationKey(g.First().Plane)).Distinct().Count();
                onWarning($"DICOM series {group.Key}: {(orientations > 1 ? "mixed orientations" : "mixed image sizes")} ({string.Join("; ", groups.Select(g => $"{g.Count()} file(s) {g.Key.Replace("|", " orientation ", StringComparison.Ordinal)}"))}); each becomes a separate image.");
            }

            foreach (var g in groups)
            {
                stacks.Add((group.Key, g.ToList()));
            }
        }

        byte[]? readBuffer = null;
        foreach (var (series, stack) in stacks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var remaining = stack;
            while (remaining.Count > 0)
            {
                MedicalImage? image;
                (DicomSlice Slice, ImageReadException Error)? failed;
                try
                {
                    var current = remaining;
                    var buffer = readBuffer;
                    (image, failed, readBuffer) = DicomImageReader.Guard(current[0].Path, () =>
                    {
                        var b = buffer;
                        var (i, f) = BuildStack(series, current, onWarning, ref b, source, cancellationToken);
                        return (i, f, b);
                    });
                }
                catch (ImageReadException e)
                {
                    // A problem of the whole stack (too large): report it on its first file and go on with the next stack.
                    onFileError(e);
                    break;
                }

                if (failed is null)
                {
                    yield return image!;
                    break;
                }

                var broken = failed.Value.Slice;
                if (alternates.TryGetValue(broken, out var others) && others.Count > 0)
                {
                    // A duplicate of the broken file: use it instead, and say so.
                    var next = others.Dequeue();
                    alternates[next] = others;
                    onWarning($"DICOM series {series}: {System.IO.Path.GetFileName(broken.Path)} cannot be decoded ({failed.Value.Error.Message}); its duplicate {System.IO.Path.GetFileName(next.Path)} (same SOP Instance UID) is used instead.");
                    remaining = [.. remaining.Select(s => ReferenceEquals(s, broken) ? next : s)];
                    continue;
                }

                onFileError(failed.Value.Error);
                remaining = [.. remaining.Where(s => !ReferenceEquals(s, broken))];
            }
        }
    }

    private static string OrientationKey(DicomPlane p) =>
        p.Orientation is null ? "none" : string.Join(",", p.Orientation.Select(v => Math.Round(v, 3).ToString("0.###", CultureInfo.InvariantCulture)));

    private static (MedicalImage? Image, (DicomSlice Slice, ImageReadException Error)? Failed) BuildStack(
        string series, List<DicomSlice> stack, Action<string> onWarning, ref byte[]? readBuffer, string? sourceOverride, CancellationToken cancellationToken)
    {
        if (stack.Count == 1)
        {
            var only = stack[0];
            try
            {
                var single = DicomImageReader.Guard(only.Path, () => DicomImageReader.ReadSingle(only.File));
                return (single, null);
            }
            catch (ImageReadException e)
            {
                return (null, (only, e));
            }
        }

        var first = stack[0];
        var normal = first.Plane.Normal;
        List<DicomSlice> sorted;
        double[] keys;
        if (normal is not null && stack.All(s => s.Plane.Position is not null))
        {
            sorted = [.. stack.OrderBy(s => DicomPlane.Dot(s.Plane.Position!, normal)).ThenBy(s => s.InstanceNumber)];
            keys = [.. sorted.Select(s => DicomPlane.Dot(s.Plane.Position!, normal))];
        }
        else
        {
            onWarning($"DICOM series {series}: slices lack Image Position/Orientation (Patient); sorted by Instance Number, spacing from Slice Thickness.");
            sorted = [.. stack.OrderBy(s => double.IsNaN(s.InstanceNumber) ? double.MaxValue : s.InstanceNumber).ThenBy(s => s.Path, StringComparer.Ordinal)];
            keys = [];
        }

        var spacingZ = first.Plane.SpacingBetweenSlices > 0 ? first.Plane.SpacingBetweenSlices : first.Plane.SliceThickness > 0 ? first.Plane.SliceThickness : 1.0;
        if (keys.Length > 1)
        {
            spacingZ = CheckSpacing(series, sorted, keys, onWarning) is var s && s > 0 ? s : spacingZ;
        }

        var rows = first.Rows;
        var cols = first.Columns;
        var n = rows * cols;
        if ((long)n * sorted.Count > DicomPixelData.MaxVoxels)
        {
            throw new ImageReadException(ImageReadError.AbsurdDimensions, first.Path, $"series {series} has {cols}x{rows}x{sorted.Count} voxels, more than DeepSim reads ({DicomPixelData.MaxVoxels}).");
        }

        var voxels = GC.AllocateUninitializedArray<float>(n * sorted.Count);
        byte[]? scratch = null;
        DicomPixelData? firstPixels = null;
        string? slopeMismatch = null;
        for (var z = 0; z < sorted.Count; z++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var slice = sorted[z];
            try
            {
                var buffer = readBuffer;
                var pixels = DicomImageReader.Guard(slice.Path, () =>
                {
                    var px = new DicomPixelData(slice.File, buffer);
                    return px;
                });
                DicomImageReader.Guard(slice.Path, () =>
                {
                    byte[]? localScratch = scratch;
                    pixels.DecodeFrame(0, voxels.AsSpan(z * n, n), ref localScratch);
                    scratch = localScratch;
                    return 0;
                });
                if (readBuffer is null && slice.File.Dataset.Find(DicomTags.PixelData) is { ValueNotLoaded: true } pe && pe.Length <= int.MaxValue)
                {
                    readBuffer = new byte[pe.Length];
                }

                firstPixels ??= pixels;
                if (pixels.Slope != firstPixels.Slope || pixels.Intercept != firstPixels.Intercept)
                {
                    slopeMismatch = "rescale slope/intercept differ between slices (applied per slice; Metadata holds the first slice's)";
                }
            }
            catch (ImageReadException e)
            {
                return (null, (slice, e));
            }
        }

        if (slopeMismatch is not null)
        {
            onWarning($"DICOM series {series}: {slopeMismatch}.");
        }

        var p = first.Plane;
        var (sx, sy) = p.PixelSpacing is { } ps && ps[0] > 0 && ps[1] > 0 ? (ps[1], ps[0]) : (1.0, 1.0);
        var row = p.Row ?? [1, 0, 0];
        var col = p.Column ?? [0, 1, 0];
        var nrm = normal ?? [0, 0, 1];
        var origin = sorted[0].Plane.Position ?? [0, 0, 0];
        var geometry = new ImageGeometry([sx, sy, spacingZ], origin, [row[0], col[0], nrm[0], row[1], col[1], nrm[1], row[2], col[2], nrm[2]]);
        var metadata = DicomImageReader.BuildMetadata(sorted[0].File, firstPixels!);
        metadata["NumberOfFiles"] = sorted.Count.ToString(CultureInfo.InvariantCulture);
        var dirs = sourceOverride is null ? sorted.Select(s => System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(s.Path))).Distinct().ToList() : [];
        var source = sourceOverride ?? (dirs.Count == 1 && dirs[0] is not null ? dirs[0]! : sorted[0].Path);
        var image = new MedicalImage(voxels, cols, rows, sorted.Count, geometry, metadata.GetValueOrDefault("Modality"), source, "DICOM", metadata);
        return (image, null);
    }

    /// <summary>Median step between sorted positions; warns on duplicates, gaps, uneven steps and positions off the normal.</summary>
    private static double CheckSpacing(string series, List<DicomSlice> sorted, double[] keys, Action<string> onWarning)
    {
        var steps = new double[keys.Length - 1];
        for (var i = 0; i < steps.Length; i++)
        {
            steps[i] = keys[i + 1] - keys[i];
        }

        var positive = steps.Where(s => s > 1e-4).OrderBy(s => s).ToArray();
        var duplicates = steps.Count(s => s <= 1e-4);
        if (duplicates > 0)
        {
            onWarning($"DICOM series {series}: {duplicates} slice(s) share a position with another (several acquisitions or time points?); they are stacked in Instance Number order.");
        }

        if (positive.Length == 0)
        {
            return 0;
        }

        var median = positive[positive.Length / 2];
        var tolerance = Math.Max(0.01, SpacingTolerance * median);
        var uneven = false;
        for (var i = 0; i < steps.Length; i++)
        {
            if (steps[i] <= 1e-4 || Math.Abs(steps[i] - median) <= tolerance)
            {
                continue;
            }

            uneven = true;
            var kind = steps[i] > 1.5 * median ? "gap" : "uneven spacing";
            onWarning(string.Format(
                CultureInfo.InvariantCulture,
                "DICOM series {0}: {1} of {2:0.###} mm between {3} and {4} (median step {5:0.###} mm); the volume assumes even spacing.",
                series, kind, steps[i], System.IO.Path.GetFileName(sorted[i].Path), System.IO.Path.GetFileName(sorted[i + 1].Path), median));
        }

        if (!uneven)
        {
            // Positions should move along the normal only (a tilted gantry or a shear does not).
            var p0 = sorted[0].Plane.Position!;
            var pn = sorted[^1].Plane.Position!;
            var d = new[] { pn[0] - p0[0], pn[1] - p0[1], pn[2] - p0[2] };
            var along = keys[^1] - keys[0];
            var off = Math.Sqrt(Math.Max(0, DicomPlane.Dot(d, d) - (along * along)));
            if (off > 0.01 * Math.Max(1, Math.Abs(along)))
            {
                onWarning(string.Format(CultureInfo.InvariantCulture, "DICOM series {0}: slice positions drift {1:0.###} mm sideways from the slice normal (gantry tilt?); the volume is not sheared.", series, off));
            }
        }

        return median;
    }
}
