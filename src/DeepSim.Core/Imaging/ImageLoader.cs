using DeepSim.Imaging.Formats;

namespace DeepSim.Imaging;

/// <summary>What one <see cref="ImageLoadResult"/> carries.</summary>
public enum ImageLoadResultKind
{
    /// <summary>An image that was read.</summary>
    Image,

    /// <summary>A file or folder that could not be read; the rest goes on.</summary>
    Error,

    /// <summary>A warning about an image that was still read (a gap in a series, a duplicate instance, non-finite voxels).</summary>
    Warning,

    /// <summary>A file passed over on purpose (the data file of a header, a non-image file in a folder, a directory link).</summary>
    Skipped,

    /// <summary>A file selected for reading (only from <see cref="ImageLoader.SelectFiles"/>).</summary>
    File,
}

/// <summary>The result of loading one input: an image, the error that stopped it, a warning or a skipped file.</summary>
public sealed record ImageLoadResult(MedicalImage? Image, ImageReadException? Error, string Path)
{
    /// <summary>The warning or the reason a file was skipped (Kind Warning / Skipped).</summary>
    public string? Message { get; init; }

    /// <summary>What this result carries.</summary>
    public ImageLoadResultKind Kind { get; init; } = Image is not null ? ImageLoadResultKind.Image : ImageLoadResultKind.Error;

    internal static ImageLoadResult Warn(string path, string message) => new(null, null, path) { Message = DeepSim.IO.MessageText.Clean(message), Kind = ImageLoadResultKind.Warning };

    internal static ImageLoadResult Skip(string path, string message) => new(null, null, path) { Message = message, Kind = ImageLoadResultKind.Skipped };

    internal static ImageLoadResult Selected(string path) => new(null, null, path) { Kind = ImageLoadResultKind.File };
}

/// <summary>
/// Chooses a reader per file by content and name, reads files one by one, and hands files of a multi-file format
/// (DICOM) to their reader together so that series are assembled. The one place where DeepSim selects, groups and
/// reads image files: <c>Import-MedicalImage</c> and <c>Import-ImagePair</c> both go through it.
/// </summary>
public sealed class ImageLoader
{
    private const int HeadLength = 1024;
    private readonly IReadOnlyList<IImageReader> _readers;

    /// <summary>Creates a loader with the given readers, tried in order.</summary>
    public ImageLoader(IEnumerable<IImageReader> readers) => _readers = [.. readers];

    /// <summary>A loader with every reader DeepSim ships.</summary>
    public static ImageLoader CreateDefault() => new(ImageReaders.All());

    /// <summary>The readers this loader tries, in order.</summary>
    public IReadOnlyList<IImageReader> Readers => _readers;

    /// <summary>Finds the reader for a file, or throws <see cref="ImageReadException"/> (not found, unknown format).</summary>
    public IImageReader SelectReader(string path)
    {
        byte[] head;
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
            head = new byte[(int)Math.Min(HeadLength, fs.Length)];
            fs.ReadExactly(head);
        }
        catch (Exception e) when (FormatIO.OpenError(e, path, path) is { } mapped)
        {
            throw mapped;
        }

        foreach (var reader in _readers)
        {
            if (reader.CanRead(path, head))
            {
                return reader;
            }
        }

        var known = string.Join(", ", _readers.Select(r => r.FormatName));
        var message = head.Length == 0 ? "the file is empty." : $"unknown image format (DeepSim reads {known}).";
        throw new ImageReadException(head.Length == 0 ? ImageReadError.Truncated : ImageReadError.UnknownFormat, path, message);
    }

    /// <summary>
    /// Loads the files: each single-file format one by one, all files of a multi-file format together.
    /// Results come in input order for single files; assembled images follow. Warnings go to <paramref name="onWarning"/>.
    /// </summary>
    public IEnumerable<ImageLoadResult> Load(IReadOnlyList<string> paths, Action<string>? onWarning = null, CancellationToken cancellationToken = default)
    {
        foreach (var r in Stream(paths, recurse: false, cancellationToken))
        {
            switch (r.Kind)
            {
                case ImageLoadResultKind.Image or ImageLoadResultKind.Error:
                    yield return r;
                    break;
                case ImageLoadResultKind.Warning:
                    onWarning?.Invoke(r.Message!);
                    break;
            }
        }
    }

    /// <summary>
    /// The streaming entry point: reads files and folders one image at a time. Single-file formats are read as they are
    /// met; DICOM headers are collected and each series is assembled and returned on its own once every input has been
    /// seen (so only one volume is built at a time). Problems are results of kind Error, per file or per folder, and
    /// reading goes on. See <see cref="ImageLoadSession"/> for folders, links and companion files.
    /// </summary>
    public IEnumerable<ImageLoadResult> Stream(IEnumerable<string> paths, bool recurse = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var session = OpenSession(recurse, cancellationToken);
        foreach (var r in session.Add([.. paths]))
        {
            yield return r;
        }

        foreach (var r in session.Complete())
        {
            yield return r;
        }
    }

    /// <summary>A session for callers that receive their inputs piece by piece (a cmdlet's pipeline).</summary>
    public ImageLoadSession OpenSession(bool recurse, CancellationToken cancellationToken = default) => new(this, recurse, cancellationToken);

    /// <summary>
    /// The files an input stands for, without reading them: a file itself; a folder's files (recursively when
    /// <paramref name="recurse"/>), in ordinal order of their paths, without following links to folders, leaving out
    /// the data files of headers in the same folder (kind Skipped) and reporting unreadable folders (kind Error).
    /// Selected files have kind File.
    /// </summary>
    public IEnumerable<ImageLoadResult> SelectFiles(string path, bool recurse, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!Directory.Exists(path))
        {
            if (File.Exists(path))
            {
                yield return ImageLoadResult.Selected(path);
            }
            else if (FormatIO.IsLinkLoop(path))
            {
                yield return new ImageLoadResult(null, new ImageReadException(ImageReadError.LinkLoop, path, "the path is a symbolic link that loops (too many levels of symbolic links)."), path);
            }
            else
            {
                yield return new ImageLoadResult(null, new ImageReadException(ImageReadError.FileNotFound, path, "no such file or folder."), path);
            }

            yield break;
        }

        var visited = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in SelectInFolder(path, recurse, visited, cancellationToken))
        {
            yield return r;
        }
    }

    /// <summary>Reads one file with a single-file reader, turning every input problem into an <see cref="ImageLoadResult"/> error.</summary>
    public static List<ImageLoadResult> ReadFile(IImageReader reader, string path, CancellationToken cancellationToken = default)
    {
        try
        {
            return [.. reader.Read(path, cancellationToken).Select(i => new ImageLoadResult(i, null, path))];
        }
        catch (ImageReadException e)
        {
            return [new ImageLoadResult(null, e, path)];
        }
        catch (EndOfStreamException e)
        {
            return [new ImageLoadResult(null, new ImageReadException(ImageReadError.Truncated, path, "the file ends early.", inner: e), path)];
        }
        catch (Exception e) when (FormatIO.IsCorruptCompressed(e))
        {
            return [new ImageLoadResult(null, new ImageReadException(ImageReadError.CorruptHeader, path, "corrupt data: " + e.Message, inner: e), path)];
        }
        catch (Exception e) when (FormatIO.OpenError(e, path, path) is { } mapped)
        {
            return [new ImageLoadResult(null, mapped, path)];
        }
    }

    private static IEnumerable<ImageLoadResult> SelectInFolder(string folder, bool recurse, HashSet<string> visited, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var canonical = Canonical(folder);
        if (!visited.Add(canonical))
        {
            yield return ImageLoadResult.Skip(folder, $"Skipping folder {folder}: already read (it is {canonical}).");
            yield break;
        }

        List<FileSystemInfo> entries;
        ImageReadException? failure = null;
        try
        {
            entries = [.. new DirectoryInfo(folder).EnumerateFileSystemInfos()];
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            entries = [];
            failure = e is UnauthorizedAccessException
                ? new ImageReadException(ImageReadError.AccessDenied, folder, "the folder cannot be listed: access denied; its images were not read.", inner: e)
                : new ImageReadException(e.HResult == 40 ? ImageReadError.LinkLoop : ImageReadError.ReadFailed, folder, "the folder cannot be listed: " + DeepSim.IO.MessageText.Clean(e.Message), inner: e);
        }

        if (failure is not null)
        {
            yield return new ImageLoadResult(null, failure, folder);
            yield break;
        }

        // Ordinal order of full paths, as a sorted recursive listing gives: a folder sorts as its name plus a separator.
        entries.Sort((a, b) => string.CompareOrdinal(SortKey(a), SortKey(b)));
        var files = entries.Where(e => e is not DirectoryInfo).Select(e => e.FullName).ToList();
        var companions = files.Count > 1 ? CompanionFiles.FindDataFiles(files) : new HashSet<string>();
        foreach (var entry in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (entry is DirectoryInfo dir)
            {
                if (!recurse)
                {
                    continue;
                }

                if (dir.LinkTarget is not null)
                {
                    // As Get-ChildItem -Recurse: links to folders are listed, not followed (a link to a parent would loop).
                    yield return ImageLoadResult.Skip(dir.FullName, $"Skipping {dir.FullName}: a link to a folder ({dir.LinkTarget}) is not followed.");
                    continue;
                }

                foreach (var r in SelectInFolder(dir.FullName, recurse, visited, cancellationToken))
                {
                    yield return r;
                }
            }
            else if (companions.Contains(entry.FullName))
            {
                yield return ImageLoadResult.Skip(entry.FullName, $"Skipping {entry.FullName}: it is the data file of a header being read.");
            }
            else
            {
                yield return ImageLoadResult.Selected(entry.FullName);
            }
        }
    }

    private static string SortKey(FileSystemInfo entry) => entry is DirectoryInfo ? entry.Name + "/" : entry.Name;

    private static string Canonical(string folder)
    {
        try
        {
            var full = System.IO.Path.GetFullPath(folder);
            var target = new DirectoryInfo(full).ResolveLinkTarget(returnFinalTarget: true);
            return target is null ? full : System.IO.Path.GetFullPath(target.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return System.IO.Path.GetFullPath(folder);
        }
    }

    /// <summary>Runs one file through reader selection and, for single-file formats, reading.</summary>
    internal IEnumerable<ImageLoadResult> ReadOrDefer(string file, bool explicitFile, Dictionary<IMultiFileImageReader, List<string>> deferred, CancellationToken cancellationToken)
    {
        IImageReader reader;
        try
        {
            reader = SelectReader(file);
        }
        catch (ImageReadException e) when (!explicitFile && e.Error == ImageReadError.UnknownFormat)
        {
            // A folder may hold other files (notes, reports): skipped, not an error.
            return [ImageLoadResult.Skip(file, $"Skipping {file}: not an image DeepSim reads.")];
        }
        catch (ImageReadException e)
        {
            return [new ImageLoadResult(null, e, file)];
        }

        if (reader is IMultiFileImageReader multi)
        {
            if (!deferred.TryGetValue(multi, out var list))
            {
                deferred[multi] = list = [];
            }

            list.Add(file);
            return [];
        }

        return WithNonFiniteWarnings(ReadFile(reader, file, cancellationToken));
    }

    /// <summary>Adds the import policy's warning for images with NaN or infinite voxels (see <see cref="MedicalImage.CountNonFinite"/>).</summary>
    internal static IEnumerable<ImageLoadResult> WithNonFiniteWarnings(IEnumerable<ImageLoadResult> results)
    {
        foreach (var r in results)
        {
            if (r.Image is { } image && image.CountNonFinite() is var (nan, inf) && nan + inf > 0)
            {
                yield return ImageLoadResult.Warn(r.Path, NonFiniteWarning(image, nan, inf));
            }

            yield return r;
        }
    }

    private static string NonFiniteWarning(MedicalImage image, long nan, long inf) =>
        $"{DeepSim.IO.MessageText.Clean(image.SourcePath ?? image.Name)}: {nan} NaN and {inf} infinite voxel(s) of {image.VoxelCount}. " +
        "DeepSim keeps them as they are: patch sampling never uses a patch that contains one, and a candidate patch that contains one scores NaN (ranked last).";
}

/// <summary>
/// One reading session of <see cref="ImageLoader"/>: inputs are added piece by piece (each yields what can be read at
/// once) and <see cref="Complete"/> assembles the deferred DICOM series one at a time.
/// Folders are listed in ordinal order; links to folders met while recursing are not followed (a folder reached twice is
/// read once); an unreadable folder is an error of its own and the others are still read; in a folder, files of no known
/// format and the data files of headers (.raw/.zraw/.img) are skipped. Files given explicitly are errors when they
/// cannot be read.
/// </summary>
public sealed class ImageLoadSession
{
    private readonly ImageLoader _loader;
    private readonly bool _recurse;
    private readonly CancellationToken _cancellationToken;
    private readonly Dictionary<IMultiFileImageReader, List<string>> _deferred = [];

    internal ImageLoadSession(ImageLoader loader, bool recurse, CancellationToken cancellationToken)
    {
        _loader = loader;
        _recurse = recurse;
        _cancellationToken = cancellationToken;
    }

    /// <summary>
    /// Adds files and folders that were given together (one wildcard's matches, one folder): the data files of headers
    /// among them are skipped. Single-file images are read and returned now; DICOM files wait for <see cref="Complete"/>.
    /// </summary>
    public IEnumerable<ImageLoadResult> Add(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var explicitFiles = paths.Where(p => !Directory.Exists(p)).ToList();
        var companions = explicitFiles.Count > 1 ? CompanionFiles.FindDataFiles(explicitFiles) : new HashSet<string>();
        foreach (var path in paths)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            if (companions.Contains(path))
            {
                yield return ImageLoadResult.Skip(path, $"Skipping {path}: it is the data file of a header being read.");
                continue;
            }

            var isFolder = Directory.Exists(path);
            foreach (var selected in _loader.SelectFiles(path, _recurse, _cancellationToken))
            {
                if (selected.Kind != ImageLoadResultKind.File)
                {
                    yield return selected;
                    continue;
                }

                foreach (var r in _loader.ReadOrDefer(selected.Path, explicitFile: !isFolder, _deferred, _cancellationToken))
                {
                    yield return r;
                }
            }
        }
    }

    /// <summary>Assembles the deferred multi-file images (DICOM series), building and returning one image at a time.</summary>
    public IEnumerable<ImageLoadResult> Complete()
    {
        var deferred = _deferred.ToList();
        _deferred.Clear();
        foreach (var (reader, files) in deferred)
        {
            var pending = new Queue<ImageLoadResult>();
            var images = reader is IStreamingMultiFileImageReader streaming
                ? streaming.StreamMany(files, e => pending.Enqueue(new ImageLoadResult(null, e, e.Path)), w => pending.Enqueue(ImageLoadResult.Warn(files[0], w)), _cancellationToken)
                : reader.ReadMany(files, e => pending.Enqueue(new ImageLoadResult(null, e, e.Path)), w => pending.Enqueue(ImageLoadResult.Warn(files[0], w)), _cancellationToken);
            foreach (var image in images)
            {
                while (pending.TryDequeue(out var p))
                {
                    yield return p;
                }

                foreach (var r in ImageLoader.WithNonFiniteWarnings([new ImageLoadResult(image, null, image.SourcePath ?? files[0])]))
                {
                    yield return r;
                }
            }

            while (pending.TryDequeue(out var p))
            {
                yield return p;
            }
        }
    }
}
