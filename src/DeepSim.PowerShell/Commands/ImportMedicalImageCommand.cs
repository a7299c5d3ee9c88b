using System.Management.Automation;
using DeepSim.Imaging;
using DeepSim.PowerShell.Infrastructure;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Reads medical images (NIfTI, MetaImage, PNG, DICOM) into MedicalImage objects.</para>
/// <para type="description">Import-MedicalImage reads files, folders or wildcards and returns one MedicalImage per image: float32 voxels, size, spacing, origin, direction (LPS), modality when the file says it, and a small metadata dictionary. The format is recognised from the file's content. Files of a DICOM series given together (a folder, a wildcard, or piped files) are assembled into one 3D image per series. Problems with one file (missing, truncated, unknown format, a header that promises more data than the file holds) are reported as non-terminating errors naming the file, and the other files are still read.</para>
/// </summary>
/// <example>
/// <code>Import-MedicalImage -Path ../shared/data/mni-templates-3d/avg152T1.nii.gz</code>
/// <para>Reads a gzipped NIfTI volume: the result shows its size (91x109x91), spacing (2 mm) and modality.</para>
/// </example>
/// <example>
/// <code>Get-ChildItem ../shared/data/mr-t1-pd-slice/*.mhd | Import-MedicalImage | Format-Table Name, SizeX, SizeY, Spacing</code>
/// <para>Reads every MetaImage file piped from Get-ChildItem.</para>
/// </example>
/// <example>
/// <code>$images = Import-MedicalImage ./archive -Recurse -ErrorVariable bad; $bad | ForEach-Object { $_.FullyQualifiedErrorId + ': ' + $_.TargetObject }</code>
/// <para>Reads a whole folder tree, collecting the files that could not be read (with the reason) in $bad.</para>
/// </example>
[Cmdlet(VerbsData.Import, "MedicalImage", DefaultParameterSetName = PathSet)]
[OutputType(typeof(MedicalImage))]
public sealed partial class ImportMedicalImageCommand : DeepSimCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private readonly ImageLoader _loader = ImageLoader.CreateDefault();
    private readonly Dictionary<IMultiFileImageReader, List<string>> _deferred = [];

    #region Parameters

    /// <summary>Files, folders or wildcard patterns to read.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[] Path { get; set; } = [];

    /// <summary>Files or folders to read, taken literally (no wildcards). Binds FullName/PSPath from piped file objects.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    /// <summary>Read folders recursively.</summary>
    [Parameter]
    public SwitchParameter Recurse { get; set; }

    #endregion

    #region Overrides

    /// <summary>Reads the files of this pipeline item; DICOM files wait for EndProcessing so series are assembled.</summary>
    protected override void ProcessRecord()
    {
        if (ParameterSetName == DicomWebSet)
        {
            ImportDicomWebSeries();
            return;
        }

        var literal = ParameterSetName == LiteralPathSet;
        foreach (var input in literal ? LiteralPath : Path)
        {
            foreach (var (file, explicitFile) in ExpandInput(input, literal))
            {
                StopToken.ThrowIfCancellationRequested();
                ReadOrDefer(file, explicitFile);
            }
        }
    }

    /// <summary>Assembles and writes the deferred multi-file images (DICOM series).</summary>
    protected override void EndProcessing()
    {
        foreach (var (reader, files) in _deferred)
        {
            WriteVerbose($"Assembling {files.Count} {reader.FormatName} file(s).");
            var errors = new List<ImageReadException>();
            var warnings = new List<string>();
            var images = reader.ReadMany(files, errors.Add, warnings.Add, StopToken);
            foreach (var w in warnings)
            {
                WriteWarning(w);
            }

            foreach (var e in errors)
            {
                WriteReadError(e);
            }

            foreach (var image in images)
            {
                WriteObject(image);
            }
        }
    }

    #endregion

    private IEnumerable<(string File, bool Explicit)> ExpandInput(string input, bool literal)
    {
        var resolved = new List<string>();
        try
        {
            if (literal)
            {
                resolved.Add(GetUnresolvedProviderPathFromPSPath(input));
            }
            else
            {
                resolved.AddRange(GetResolvedProviderPathFromPSPath(input, out _));
            }
        }
        catch (ItemNotFoundException e)
        {
            WriteError("ImageFileNotFound", ErrorCategory.ObjectNotFound, input, $"Cannot find '{input}': no such file or folder.", e);
            yield break;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or ProviderNotFoundException or System.Management.Automation.DriveNotFoundException)
        {
            WriteError("ImagePathInvalid", ErrorCategory.InvalidArgument, input, $"'{input}' is not a valid file-system path: {e.Message}", e);
            yield break;
        }

        var files = new List<(string File, bool Explicit)>();
        foreach (var path in resolved)
        {
            if (Directory.Exists(path))
            {
                var option = Recurse ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly;
                files.AddRange(Directory.EnumerateFiles(path, "*", option).Order(StringComparer.Ordinal).Select(f => (f, false)));
            }
            else if (File.Exists(path))
            {
                files.Add((path, true));
            }
            else
            {
                WriteError("ImageFileNotFound", ErrorCategory.ObjectNotFound, path, $"Cannot find '{path}': no such file or folder.");
            }
        }

        // The .raw/.zraw/.img data files of headers found in the same listing are read through their header.
        var companions = files.Count > 1 ? Imaging.Formats.CompanionFiles.FindDataFiles(files.Select(f => f.File)) : new HashSet<string>();
        foreach (var f in files)
        {
            if (companions.Contains(f.File))
            {
                WriteVerbose($"Skipping {f.File}: it is the data file of a header being read.");
                continue;
            }

            yield return f;
        }
    }

    private void ReadOrDefer(string file, bool explicitFile)
    {
        IImageReader reader;
        try
        {
            reader = _loader.SelectReader(file);
        }
        catch (ImageReadException e) when (!explicitFile && e.Error == ImageReadError.UnknownFormat)
        {
            // A folder may hold other files (.raw beside .mhd, notes): skipped, not an error.
            WriteVerbose($"Skipping {file}: not an image DeepSim reads.");
            return;
        }
        catch (ImageReadException e)
        {
            WriteReadError(e);
            return;
        }

        if (reader is IMultiFileImageReader multi)
        {
            if (!_deferred.TryGetValue(multi, out var list))
            {
                _deferred[multi] = list = [];
            }

            list.Add(file);
            return;
        }

        WriteVerbose($"Reading {file} as {reader.FormatName}.");
        foreach (var result in ImageLoader.ReadFile(reader, file, StopToken))
        {
            if (result.Error is not null)
            {
                WriteReadError(result.Error);
            }
            else
            {
                WriteObject(result.Image);
            }
        }
    }

    private void WriteReadError(ImageReadException e) =>
        WriteError(e.ErrorId, ErrorMapping.Category(e.Error), e.Path, e.Message, e);
}
