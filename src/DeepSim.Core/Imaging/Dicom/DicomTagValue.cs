namespace DeepSim.Imaging.Dicom;

/// <summary>One attribute of a DICOM file as a user sees it: where it comes from, its tag, keyword, VR and value text.</summary>
/// <param name="Path">The file.</param>
/// <param name="Tag">The tag.</param>
/// <param name="Keyword">The DICOM keyword, or null for private and unknown tags.</param>
/// <param name="Vr">The value representation.</param>
/// <param name="Value">The value formatted for its VR (multiple values joined by '\'); null when the file lacks the tag.</param>
public sealed record DicomTagValue(string Path, DicomTag Tag, string? Keyword, string Vr, string? Value)
{
    /// <summary>The values of the requested keywords or tags (all top-level elements when none are named), meta header included.</summary>
    public static IReadOnlyList<DicomTagValue> Read(DicomFile file, IReadOnlyList<string>? names)
    {
        ArgumentNullException.ThrowIfNull(file);
        var list = new List<DicomTagValue>();
        if (names is null || names.Count == 0)
        {
            foreach (var set in new[] { file.MetaInformation, file.Dataset })
            {
                foreach (var e in set.Elements)
                {
                    list.Add(new DicomTagValue(file.Path, e.Tag, e.Keyword, e.Vr, set.FormatValue(e)));
                }
            }

            return list;
        }

        foreach (var name in names)
        {
            if (!DicomDictionary.TryGetTag(name, out var tag))
            {
                throw new ArgumentException($"'{name}' is neither a DICOM keyword DeepSim knows nor a tag like (0010,0010).", nameof(names));
            }

            var set = tag.Group == 0x0002 ? file.MetaInformation : file.Dataset;
            var e = set.Find(tag);
            list.Add(new DicomTagValue(file.Path, tag, DicomDictionary.KeywordOf(tag), e?.Vr ?? DicomDictionary.Find(tag)?.Vr ?? "UN", e is null ? null : set.FormatValue(e)));
        }

        return list;
    }
}
