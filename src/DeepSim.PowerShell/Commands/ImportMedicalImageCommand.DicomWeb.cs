using System.Globalization;
using System.Management.Automation;
using DeepSim.Archive;
using DeepSim.Imaging;
using DeepSim.PowerShell.Infrastructure;

namespace DeepSim.PowerShell.Commands;

/// <example>
/// <code>Find-DicomSeries -Uri http://localhost:8042/dicom-web -PatientID 'P-0042' -Modality CT | Import-MedicalImage</code>
/// <para>Retrieves a patient's CT series from a DICOMweb server (WADO-RS) as MedicalImage volumes, with progress per instance.</para>
/// </example>
/// <example>
/// <code>Find-DicomSeries -Uri http://localhost:8042/dicom-web -Modality CT | Find-DicomInstance | Where-Object InstanceNumber -le 40 | Import-MedicalImage</code>
/// <para>Retrieves only the first 40 slices of each CT series; the slices of one series become one volume, as the same files would.</para>
/// </example>
public sealed partial class ImportMedicalImageCommand
{
    private const string DicomWebSet = "DicomWeb";
    private const string DicomWebInstanceSet = "DicomWebInstance";
    private readonly List<DicomWebInstance> _instances = [];

    #region Parameters

    /// <summary>
    /// Series found on a DICOMweb server (from Find-DicomSeries) to retrieve with WADO-RS; each becomes the same
    /// MedicalImage its files would give. A series that arrives with fewer instances than the server lists is an error.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = DicomWebSet)]
    [ValidateNotNull]
    public DicomWebSeries[] Series { get; set; } = [];

    /// <summary>
    /// Instances found on a DICOMweb server (from Find-DicomInstance) to retrieve with WADO-RS, one request each. All
    /// piped instances are read when the pipeline ends and assembled as their files would be: the slices of one
    /// series become one volume, whose SourcePath is the series URL.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = DicomWebInstanceSet)]
    [ValidateNotNull]
    public DicomWebInstance[] Instance { get; set; } = [];

    #endregion

    /// <summary>Retrieves the collected instances (EndProcessing), grouped by server, assembled per series.</summary>
    private void ImportDicomWebInstances()
    {
        foreach (var group in _instances.GroupBy(i => i.Server))
        {
            StopToken.ThrowIfCancellationRequested();
            var server = group.Key;
            var list = group.ToList();
            var activity = $"Retrieving {list.Count} instances from {server}";
            WriteVerbose($"WADO-RS {list.Count} instances from {server}, one request each.");
            var errors = new List<ImageReadException>();
            var warnings = new List<string>();
            var retries = new List<string>();
            IReadOnlyList<MedicalImage> images;
            try
            {
                images = RunWithProgress<object, IReadOnlyList<MedicalImage>>(
                    (progress, token) =>
                    {
                        using var client = new DicomWebClient(server) { OnRetry = progress.Report };
                        return client.ReadInstancesAsync(list, errors.Add, warnings.Add, new SyncProgress(progress), token).GetAwaiter().GetResult();
                    },
                    item => item switch
                    {
                        DicomWebProgress p => new ProgressUpdate(activity, $"instance {p.InstancesReceived} of {p.InstancesExpected}", 100 * p.InstancesReceived / Math.Max(1, p.InstancesExpected), $"{p.BytesReceived / 1048576.0:0.0} MB"),
                        string retry => Retry(retries, retry, activity),
                        _ => null,
                    });
            }
            catch (DicomWebException e)
            {
                DicomWebCmdlet.ReportDicomWebError(this, e, list.FirstOrDefault(i => e.RequestUri == i.Uri) ?? (object)e.RequestUri);
                continue;
            }
            finally
            {
                CompleteProgress(activity);
                foreach (var r in retries)
                {
                    WriteVerbose(r);
                }
            }

            foreach (var w in warnings)
            {
                WriteWarning(w);
            }

            foreach (var e in errors)
            {
                WriteError(e.ErrorId, ErrorMapping.Category(e.Error), e.Path, e.Message, e);
            }

            foreach (var image in images)
            {
                WriteObject(image);
            }
        }
    }

    /// <summary>Retrieves each piped series: one request per series, progress per instance, Ctrl+C cancels.</summary>
    private void ImportDicomWebSeries()
    {
        foreach (var series in Series)
        {
            StopToken.ThrowIfCancellationRequested();
            var activity = $"Retrieving series {series.SeriesInstanceUID} from {series.Server}";
            var expected = series.NumberOfSeriesRelatedInstances;
            WriteVerbose($"WADO-RS {series.Uri} ({(expected is int n ? n.ToString(CultureInfo.InvariantCulture) : "an unknown number of")} instances).");
            var errors = new List<ImageReadException>();
            var warnings = new List<string>();
            var retries = new List<string>();
            IReadOnlyList<MedicalImage> images;
            try
            {
                images = RunWithProgress<object, IReadOnlyList<MedicalImage>>(
                    (progress, token) =>
                    {
                        using var client = new DicomWebClient(series.Server) { OnRetry = progress.Report };
                        return client.ReadSeriesAsync(series, errors.Add, warnings.Add, new SyncProgress(progress), token).GetAwaiter().GetResult();
                    },
                    item => item switch
                    {
                        DicomWebProgress p => new ProgressUpdate(
                            activity,
                            p.InstancesExpected > 0 ? $"instance {p.InstancesReceived} of {p.InstancesExpected}" : $"instance {p.InstancesReceived}",
                            p.InstancesExpected > 0 ? 100 * p.InstancesReceived / p.InstancesExpected : 0,
                            $"{p.BytesReceived / 1048576.0:0.0} MB"),
                        string retry => Retry(retries, retry, activity),
                        _ => null,
                    });
            }
            catch (DicomWebException e)
            {
                DicomWebCmdlet.ReportDicomWebError(this, e, series);
                continue;
            }
            finally
            {
                CompleteProgress(activity);
                foreach (var r in retries)
                {
                    WriteVerbose(r);
                }
            }

            foreach (var w in warnings)
            {
                WriteWarning(w);
            }

            foreach (var e in errors)
            {
                WriteError(e.ErrorId, ErrorMapping.Category(e.Error), e.Path, e.Message, e);
            }

            foreach (var image in images)
            {
                WriteObject(image);
            }
        }
    }

    private static ProgressUpdate Retry(List<string> retries, string message, string activity)
    {
        retries.Add(message);
        return new ProgressUpdate(activity, message, 0);
    }

    /// <summary>Forwards core progress to the cmdlet's queue on the calling thread (Progress&lt;T&gt; would post to the thread pool, out of order).</summary>
    private sealed class SyncProgress(IProgress<object> inner) : IProgress<DicomWebProgress>
    {
        public void Report(DicomWebProgress value) => inner.Report(value);
    }
}
