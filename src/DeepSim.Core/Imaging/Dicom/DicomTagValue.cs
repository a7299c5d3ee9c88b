namespace DeepSim.Imaging.Dicom;

/// <summary>One attribute of a DICOM file as a cmdlet shows it (Get-DicomTag).</summary>
/// <param name="Path">The file.</param>
/// <param name="Tag">The tag, e.g. (0010,0010).</param>
/// <param name="Keyword">The DICOM keyword, or null for private and unknown tags.</param>
/// <param name="Vr">The value representation.</param>
/// <param name="Value">The value formatted for its VR (multi-values joined by '\'), or null when the file lacks the tag.</param>
public sealed record DicomTagValue(string Path, string Tag, string? Keyword, string? Vr, string? Value);

/// <summary>Extension methods listing the attributes of an opened file.</summary>
public static class DicomFileTagExtensions
{
    /// <summary>
    /// The requested attributes (keywords or tag texts such as "PatientName", "(0028,0030)", "00280030"), in the order asked,
    /// with a null Value for those the file lacks; or, when <paramref name="keywordsOrTags"/> is null or empty, every
    /// top-level attribute of the meta information and the data set in file order.
    /// Throws <see cref="ArgumentException"/> for a name that is neither a known keyword nor a tag.
    /// </summary>
    public static IReadOnlyList<DicomTagValue> GetTagValues(this DicomFile file, IEnumerable<string>? keywordsOrTags = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        var wanted = keywordsOrTags?.ToList();
        var result = new List<DicomTagValue>();
        if (wanted is null || wanted.Count == 0)
        {
            foreach (var ds in new[] { file.MetaInformation, file.Dataset })
            {
                foreach (var e in ds.Elements)
                {
                    result.Add(new DicomTagValue(file.Path, e.Tag.ToString(), e.Keyword, e.Vr, ds.FormatValue(e)));
                }
            }

            return result;
        }

        foreach (var name in wanted)
        {
            if (!DicomDictionary.TryGetTag(name, out var tag))
            {
                throw new ArgumentException($"'{name}' is neither a DICOM keyword DeepSim knows nor a tag like (0010,0010).", nameof(keywordsOrTags));
            }

            var ds = tag.Group == 0x0002 ? file.MetaInformation : file.Dataset;
            var e = ds.Find(tag);
            result.Add(new DicomTagValue(file.Path, tag.ToString(), DicomDictionary.KeywordOf(tag), e?.Vr ?? DicomDictionary.Find(tag)?.Vr, e is null ? null : ds.FormatValue(e)));
        }

        return result;
    }
}
