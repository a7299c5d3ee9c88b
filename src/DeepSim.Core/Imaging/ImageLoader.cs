namespace DeepSim.Imaging;

/// <summary>The result of loading one input: an image, or the error that stopped it.</summary>
public sealed record ImageLoadResult(MedicalImage? Image, ImageReadException? Error, string Path);

/// <summary>
/// Chooses a reader per file by content and name, reads files one by one, and hands files of a
/// multi-file format (DICOM) to their reader together so that series are assembled.
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
        catch (FileNotFoundException e)
        {
            throw new ImageReadException(ImageReadError.FileNotFound, path, "file not found.", inner: e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new ImageReadException(ImageReadError.FileNotFound, path, "file not found.", inner: e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ImageReadException(ImageReadError.AccessDenied, path, "access denied.", inner: e);
        }
        catch (IOException e)
        {
            throw new ImageReadException(ImageReadError.AccessDenied, path, "cannot be read: " + e.Message, inner: e);
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
    /// Results come in input order for single files; assembled images follow.
    /// </summary>
    public IEnumerable<ImageLoadResult> Load(IReadOnlyList<string> paths, Action<string>? onWarning = null, CancellationToken cancellationToken = default)
    {
        var grouped = new Dictionary<IMultiFileImageReader, List<string>>();
        foreach (var path in paths)
        {
            cancellationToken.ThrowIfCancellationRequested();
            IImageReader reader;
            ImageLoadResult? failure = null;
            reader = null!;
            try
            {
                reader = SelectReader(path);
            }
            catch (ImageReadException e)
            {
                failure = new ImageLoadResult(null, e, path);
            }

            if (failure is not null)
            {
                yield return failure;
                continue;
            }

            if (reader is IMultiFileImageReader multi)
            {
                if (!grouped.TryGetValue(multi, out var list))
                {
                    grouped[multi] = list = [];
                }

                list.Add(path);
                continue;
            }

            foreach (var result in ReadFile(reader, path, cancellationToken))
            {
                yield return result;
            }
        }

        foreach (var (multi, files) in grouped)
        {
            var errors = new List<ImageReadException>();
            var images = multi.ReadMany(files, errors.Add, onWarning ?? (_ => { }), cancellationToken);
            foreach (var e in errors)
            {
                yield return new ImageLoadResult(null, e, e.Path);
            }

            foreach (var image in images)
            {
                yield return new ImageLoadResult(image, null, image.SourcePath ?? files[0]);
            }
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
        catch (InvalidDataException e)
        {
            return [new ImageLoadResult(null, new ImageReadException(ImageReadError.CorruptHeader, path, "corrupt data: " + e.Message, inner: e), path)];
        }
        catch (UnauthorizedAccessException e)
        {
            return [new ImageLoadResult(null, new ImageReadException(ImageReadError.AccessDenied, path, "access denied.", inner: e), path)];
        }
    }
}
