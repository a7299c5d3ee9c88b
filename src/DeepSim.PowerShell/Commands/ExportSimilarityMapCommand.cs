using System.Management.Automation;
using DeepSim.Evaluation;
using DeepSim.PowerShell.Infrastructure;
using DeepSim.Reporting;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Writes similarity maps as one PNG heat map, side by side, with the true and the best position marked.</para>
/// <para type="description">Export-SimilarityMap collects the piped SimilarityMap objects (from Measure-PatchSimilarity -Fixed -Moving -Center) and draws them side by side in one PNG: each map scaled to its own score range and coloured with viridis, the true position boxed in white, the best-scoring position crossed in red, and a title with the metric, the centre and the best offset. The file is written to a temporary name and renamed, so it is never half-written. An existing file is replaced unless -NoClobber is given; -WhatIf and -Confirm are honoured.</para>
/// </summary>
/// <example>
/// <code>Measure-PatchSimilarity -Metric $model, NMI, LCC -Fixed $ct -Moving $mr -Center 128, 60 | Export-SimilarityMap -Path ./maps/128-60.png</code>
/// <para>The learned metric next to NMI and LCC for one CT patch.</para>
/// </example>
/// <example>
/// <code>$maps = Measure-PatchSimilarity -Metric NMI -Fixed $t1 -Moving $pd -Center 90, 100 -SearchRadius 20
/// Export-SimilarityMap -InputObject $maps -Path nmi.png -Columns 1 -PassThru</code>
/// <para>A single map, returning the written file.</para>
/// </example>
[Cmdlet(VerbsData.Export, "SimilarityMap", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportSimilarityMapCommand : DeepSimCmdlet
{
    private readonly List<SimilarityMap> _maps = [];

    #region Parameters

    /// <summary>The maps to draw (from Measure-PatchSimilarity).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public SimilarityMap[] InputObject { get; set; } = [];

    /// <summary>The PNG file to write.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Panels per row; default all in one row.</summary>
    [Parameter]
    [ValidateRange(1, 100)]
    public int? Columns { get; set; }

    /// <summary>Pixels per map cell; default so that a panel is about 240 pixels wide.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int? CellSize { get; set; }

    /// <summary>Do not replace an existing file.</summary>
    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    /// <summary>Replace a read-only file (its permissions are kept). Without it a read-only target is an error (SimilarityMapFileReadOnly).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Write the file's FileInfo to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    #endregion

    #region Overrides

    /// <summary>Collects maps.</summary>
    protected override void ProcessRecord() => _maps.AddRange(InputObject);

    /// <summary>Draws and writes the PNG.</summary>
    protected override void EndProcessing()
    {
        if (_maps.Count == 0)
        {
            ThrowTerminating(ErrorIds.NoSimilarityMaps, ErrorCategory.InvalidData, null, "Export-SimilarityMap received no maps; pipe the output of Measure-PatchSimilarity -Fixed -Moving -Center into it.");
        }

        var path = ResolveOutputPath(Path);
        if (NoClobber && File.Exists(path))
        {
            ThrowTerminating(ErrorIds.SimilarityMapFileExists, ErrorCategory.ResourceExists, path, $"'{path}' exists and -NoClobber was given.");
        }

        if (!ShouldProcess(path, $"Write {_maps.Count} similarity map(s) as PNG"))
        {
            return;
        }

        RenderedPng written;
        try
        {
            using var scope = DeepSim.IO.AtomicFile.ReplaceReadOnly(Force);
            written = SimilarityMapRenderer.WritePng(_maps, path, new SimilarityMapRenderOptions { Columns = Columns, CellSize = CellSize });
        }
        catch (DeepSim.IO.AtomicWriteRefusedException e)
        {
            WriteRefusal(ErrorIds.SimilarityMapFileReadOnly, ErrorIds.SimilarityMapFileNotARegularFile, e, terminating: true);
            return;
        }
        catch (Exception e) when (ErrorMapping.IsIoFailure(e))
        {
            ThrowIoError(e is DirectoryNotFoundException ? ErrorIds.SimilarityMapFolderNotFound : ErrorIds.SimilarityMapWriteFailed, path, e, writing: true);
            return;
        }

        if (!written.HasText)
        {
            WriteWarning("No TrueType font was found: the maps were drawn without titles (install fonts-dejavu-core).");
        }

        WriteVerbose($"Wrote {written.Width}x{written.Height} PNG to {written.Path}.");
        if (PassThru)
        {
            WriteObject(new FileInfo(written.Path));
        }
    }

    #endregion
}
