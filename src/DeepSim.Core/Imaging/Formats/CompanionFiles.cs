namespace DeepSim.Imaging.Formats;

/// <summary>
/// Finds the data files of two-file formats in a list of paths, so that a caller given a wildcard
/// (<c>*.mhd</c> and <c>*.raw</c>, or <c>*.hdr</c> and <c>*.img</c>) reads each image once, from its header, instead of
/// also reporting its data file as an unknown format or reading it a second time.
/// </summary>
public static class CompanionFiles
{
    /// <summary>
    /// The paths in <paramref name="paths"/> that are the data file of another path in the list: the ElementDataFile of
    /// a MetaImage header (.mhd/.mha) or the .img of a NIfTI .hdr. Headers that cannot be read are ignored here (reading
    /// them reports the problem). Comparison is on full paths, case-sensitive.
    /// </summary>
    public static IReadOnlySet<string> FindDataFiles(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var list = paths.ToList();
        var full = new HashSet<string>(list.Select(Path.GetFullPath), StringComparer.Ordinal);
        var dataFiles = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in list)
        {
            string? candidate = null;
            if (p.EndsWith(".hdr", StringComparison.OrdinalIgnoreCase))
            {
                candidate = Path.ChangeExtension(Path.GetFullPath(p), ".img");
            }
            else if (p.EndsWith(".mhd", StringComparison.OrdinalIgnoreCase) || p.EndsWith(".mha", StringComparison.OrdinalIgnoreCase))
            {
                candidate = MetaImageDataFile(p);
            }

            if (candidate is not null && full.Contains(candidate))
            {
                dataFiles.Add(candidate);
            }
        }

        return list.Where(p => dataFiles.Contains(Path.GetFullPath(p))).ToHashSet(StringComparer.Ordinal);
    }

    private static string? MetaImageDataFile(string header)
    {
        try
        {
            using var hs = FormatIO.OpenRead(header, header);
            var text = FormatIO.ReadUpTo(hs, (int)Math.Min(hs.Length, MetaImageHeader.MaxHeaderBytes));
            var parsed = MetaImageHeader.Parse(text, hs.Length, header);
            if (parsed.IsLocal)
            {
                return null;
            }

            var folder = Path.GetDirectoryName(Path.GetFullPath(header)) ?? ".";
            return Path.GetFullPath(Path.IsPathRooted(parsed.DataFile) ? parsed.DataFile : Path.Combine(folder, parsed.DataFile));
        }
        catch (ImageReadException)
        {
            return null;
        }
    }
}
