using System.Management.Automation;
using System.Management.Automation.Runspaces;
using DeepSim.Runtime;

namespace DeepSim.PowerShell.Infrastructure;

/// <summary>
/// Base of DeepSim's cmdlets: a cancellation token that Ctrl+C (StopProcessing) sets, error records with
/// specific ids and real targets, progress with a fixed activity id per cmdlet, and the runspace's libtorch thread
/// limit (see <see cref="ThreadLimitVariable"/>). Cmdlets that override BeginProcessing call base.BeginProcessing() first.
/// </summary>
public abstract class DeepSimCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private IDisposable? _threadLease;
    private bool _disposed;

    /// <summary>
    /// The variable that caps libtorch's intra-op threads for the DeepSim cmdlets of a runspace: an integer of at least
    /// 1, or unset. Unset means an automatic share: libtorch's default (all cores) while this is the only runspace of
    /// the process running DeepSim commands, and ProcessorCount / N threads while N runspaces do (ForEach-Object
    /// -Parallel, Start-ThreadJob, runspace pools), so that N runspaces do not use N times all the cores.
    /// </summary>
    public const string ThreadLimitVariable = "DeepSimThreadLimit";

    /// <summary>Cancelled when the user presses Ctrl+C.</summary>
    protected CancellationToken StopToken => _stop.Token;

    /// <summary>
    /// The activity id of this cmdlet's progress records: fixed per cmdlet and the same in every process (an FNV-1a
    /// hash of the class name; string.GetHashCode is randomised per process), so nested bars of different cmdlets
    /// and a script's own bars (small ids) do not collide.
    /// </summary>
    protected int ProgressActivityId
    {
        get
        {
            var hash = 2166136261u;
            foreach (var c in GetType().Name)
            {
                hash = unchecked((hash ^ c) * 16777619u);
            }

            return 100 + (int)(hash % 100000u);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_disposed)
        {
            _threadLease?.Dispose();
            _stop.Dispose();
            _disposed = true;
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Applies the runspace's thread limit to the computations this cmdlet starts, and counts this runspace as running
    /// DeepSim until the pipeline ends (the automatic share of the cores, see <see cref="TorchThreads"/>).
    /// </summary>
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        TorchThreads.SetCurrent(ResolveThreadLimit());
        _threadLease ??= TorchThreads.Enter(Runspace.DefaultRunspace?.InstanceId ?? (object)Environment.CurrentManagedThreadId);
    }

    /// <summary>
    /// The explicit thread limit of this runspace: $DeepSimThreadLimit when set (terminating error when it is not a
    /// positive integer), else none (the automatic share).
    /// </summary>
    protected int? ResolveThreadLimit()
    {
        var value = SessionState.PSVariable.GetValue(ThreadLimitVariable);
        if (value is null)
        {
            return null;
        }

        if (LanguagePrimitives.TryConvertTo<int>(value, System.Globalization.CultureInfo.InvariantCulture, out var limit) && limit >= 1)
        {
            return limit;
        }

        ThrowTerminating(
            ErrorIds.InvalidThreadLimit,
            ErrorCategory.InvalidArgument,
            value,
            $"${ThreadLimitVariable} is '{value}'; it must be a whole number of threads, at least 1, or unset ($null) for libtorch's default.",
            recommendedAction: $"Set ${ThreadLimitVariable} = 1 (or another count), or remove it with Remove-Variable {ThreadLimitVariable}.");
        return null;
    }

    /// <inheritdoc />
    protected override void StopProcessing()
    {
        _stop.Cancel();
        base.StopProcessing();
    }

    /// <summary>Writes a non-terminating error.</summary>
    protected void WriteError(string errorId, ErrorCategory category, object? target, string message, Exception? inner = null, string? recommendedAction = null)
    {
        message = UserMessage(message);
        var record = new ErrorRecord(inner ?? new InvalidOperationException(message), errorId, category, target);
        record.ErrorDetails = new ErrorDetails(message);
        if (recommendedAction is not null)
        {
            record.ErrorDetails.RecommendedAction = recommendedAction;
        }

        WriteError(record);
    }

    /// <summary>Stops the cmdlet with a terminating error.</summary>
    protected void ThrowTerminating(string errorId, ErrorCategory category, object? target, string message, Exception? inner = null, string? recommendedAction = null)
    {
        message = UserMessage(message);
        var record = new ErrorRecord(inner ?? new InvalidOperationException(message), errorId, category, target);
        record.ErrorDetails = new ErrorDetails(message);
        if (recommendedAction is not null)
        {
            record.ErrorDetails.RecommendedAction = recommendedAction;
        }

        ThrowTerminatingError(record);
    }

    /// <summary>
    /// A message as a user should see it: without .NET's argument fragments ("(Parameter 'Tolerance')", "Actual value
    /// was 3.") that exception messages carry, and with control characters from file headers or model names shown as
    /// \xNN escapes instead of reaching the terminal.
    /// </summary>
    internal static string UserMessage(string message)
    {
        var text = System.Text.RegularExpressions.Regex.Replace(message, @"\s*\(Parameter '[^']*'\)", string.Empty);
        text = System.Text.RegularExpressions.Regex.Replace(text, @"\s*Actual value was [^\r\n]*?\.(?=\s|$)", string.Empty);
        return DeepSim.IO.MessageText.Clean(text.Trim());
    }

    /// <summary>
    /// Writes a non-terminating error for a file that cannot be read or written: the category from
    /// <see cref="ErrorMapping.Category(Exception, bool)"/>, the path as target, "Cannot read/write 'path': reason".
    /// </summary>
    protected void WriteIoError(string errorId, string path, Exception ioFailure, bool writing) =>
        WriteError(errorId, ErrorMapping.Category(ioFailure, writing), path, IoMessage(path, ioFailure, writing), ioFailure);

    /// <summary>As <see cref="WriteIoError"/>, but stops the cmdlet.</summary>
    protected void ThrowIoError(string errorId, string path, Exception ioFailure, bool writing) =>
        ThrowTerminating(errorId, ErrorMapping.Category(ioFailure, writing), path, IoMessage(path, ioFailure, writing), ioFailure);

    /// <summary>Stops the cmdlet because libtorch cannot be loaded (ErrorId TorchRuntimeUnavailable, category ResourceUnavailable).</summary>
    protected void ThrowTorchUnavailable(TorchRuntimeUnavailableException e) =>
        ThrowTerminating(ErrorIds.TorchRuntimeUnavailable, ErrorCategory.ResourceUnavailable, "libtorch", e.Message, e, "Reinstall the module for this platform; Get-DeepSimRuntime shows whether libtorch loads.");

    /// <summary>Writes a progress record of this cmdlet's activity.</summary>
    protected void WriteProgress(string activity, string status, int percent, string? operation = null, int secondsRemaining = -1)
    {
        var record = new ProgressRecord(ProgressActivityId, activity, status)
        {
            PercentComplete = Math.Clamp(percent, 0, 100),
            SecondsRemaining = secondsRemaining,
        };
        if (operation is not null)
        {
            record.CurrentOperation = operation;
        }

        WriteProgress(record);
    }

    /// <summary>Marks this cmdlet's progress bar completed.</summary>
    protected void CompleteProgress(string activity)
    {
        WriteProgress(new ProgressRecord(ProgressActivityId, activity, "Done") { RecordType = ProgressRecordType.Completed });
    }

    /// <summary>
    /// Expands a user path to existing file-system paths: literally when <paramref name="literal"/> (-LiteralPath, piped
    /// file objects), else as a wildcard pattern; a pattern that matches nothing but names an existing item literally
    /// (a file called <c>pair[1].dcm</c>) gives that item. When nothing is found, writes a non-terminating ObjectNotFound
    /// error with <paramref name="notFoundErrorId"/> (a wildcard that matches nothing included) and returns nothing; a
    /// path that is not a file-system path is an InvalidArgument error with the same id.
    /// </summary>
    protected IReadOnlyList<string> ResolveExistingPaths(string input, string notFoundErrorId, bool literal = false)
    {
        string? unresolved = null;
        try
        {
            unresolved = GetUnresolvedProviderPathFromPSPath(input);
            if (literal || !WildcardPattern.ContainsWildcardCharacters(input))
            {
                if (Exists(unresolved))
                {
                    return [unresolved];
                }

                WriteError(notFoundErrorId, ErrorCategory.ObjectNotFound, input, $"Cannot find '{input}': no such file or folder.");
                return [];
            }

            var matches = GetResolvedProviderPathFromPSPath(input, out var provider);
            if (provider.ImplementingType != typeof(Microsoft.PowerShell.Commands.FileSystemProvider))
            {
                WriteError(notFoundErrorId, ErrorCategory.InvalidArgument, input, $"'{input}' is not a file-system path (provider {provider.Name}).");
                return [];
            }

            if (matches.Count > 0)
            {
                return [.. matches];
            }
        }
        catch (ItemNotFoundException)
        {
            // Handled below: the literal name, else an error.
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or ProviderNotFoundException or System.Management.Automation.DriveNotFoundException or ProviderInvocationException)
        {
            WriteError(notFoundErrorId, ErrorCategory.InvalidArgument, input, $"'{input}' is not a valid file-system path: {e.Message}", e);
            return [];
        }

        if (unresolved is not null && Exists(unresolved))
        {
            return [unresolved];
        }

        WriteError(notFoundErrorId, ErrorCategory.ObjectNotFound, input, $"Cannot find '{input}': no file or folder matches it.");
        return [];

        static bool Exists(string path) => File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null;
    }

    /// <summary>
    /// Reports an export that refused to replace what is at its path: <paramref name="readOnlyId"/> for a read-only file
    /// (PermissionDenied; -Force replaces it), <paramref name="notARegularFileId"/> for a folder, device, pipe or socket
    /// (InvalidArgument).
    /// </summary>
    protected void WriteRefusal(string readOnlyId, string notARegularFileId, DeepSim.IO.AtomicWriteRefusedException e, bool terminating = false)
    {
        var readOnly = e.Refusal == DeepSim.IO.AtomicWriteRefusal.ReadOnly;
        var id = readOnly ? readOnlyId : notARegularFileId;
        var category = readOnly ? ErrorCategory.PermissionDenied : ErrorCategory.InvalidArgument;
        var hint = readOnly ? "Use -Force to replace a read-only file (its permissions are kept)." : null;
        if (terminating)
        {
            ThrowTerminating(id, category, e.Path, e.Message, e, hint);
        }
        else
        {
            WriteError(id, category, e.Path, e.Message, e, hint);
        }
    }

    /// <summary>Resolves a user path (relative to the current location, provider-qualified or not) to a file-system path.</summary>
    protected string ResolveOutputPath(string path) => GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>
    /// Runs <paramref name="work"/> on a worker thread while this pipeline thread turns the progress it reports into
    /// progress records, so that a progress bar moves while native or parallel work runs and every Write* call stays
    /// on the pipeline thread. Ctrl+C cancels the token; the worker is always awaited before this returns, so no
    /// native work outlives the cmdlet. Exceptions from the work are rethrown unchanged.
    /// </summary>
    protected TResult RunWithProgress<TProgress, TResult>(
        Func<IProgress<TProgress>, CancellationToken, TResult> work,
        Func<TProgress, ProgressUpdate?> toUpdate)
    {
        using var queue = new System.Collections.Concurrent.BlockingCollection<TProgress>();
        var reporter = new QueueProgress<TProgress>(queue);
        var task = Task.Factory.StartNew(
            () =>
            {
                try
                {
                    return work(reporter, StopToken);
                }
                finally
                {
                    queue.CompleteAdding();
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        try
        {
            foreach (var item in queue.GetConsumingEnumerable())
            {
                // Keep only the newest report when the worker is faster than the host.
                var latest = item;
                while (queue.TryTake(out var newer))
                {
                    latest = newer;
                }

                if (toUpdate(latest) is { } u)
                {
                    WriteProgress(u.Activity, u.Status, u.Percent, u.Operation);
                }
            }
        }
        catch
        {
            _stop.Cancel();
            try
            {
                task.Wait();
            }
            catch (AggregateException)
            {
                // The pipeline's own exception (stopped, host gone) is the one to report.
            }

            throw;
        }

        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (TorchRuntimeUnavailableException e)
        {
            ThrowTorchUnavailable(e);
            throw;
        }
    }

    private static string IoMessage(string path, Exception ioFailure, bool writing) => $"Cannot {(writing ? "write" : "read")} '{path}': {ioFailure.Message}";

    /// <summary>One progress bar update.</summary>
    protected sealed record ProgressUpdate(string Activity, string Status, int Percent, string? Operation = null);

    private sealed class QueueProgress<T>(System.Collections.Concurrent.BlockingCollection<T> queue) : IProgress<T>
    {
        public void Report(T value)
        {
            try
            {
                queue.Add(value);
            }
            catch (InvalidOperationException)
            {
                // Adding completed: the report came after the work finished and is no longer wanted.
            }
        }
    }
}
