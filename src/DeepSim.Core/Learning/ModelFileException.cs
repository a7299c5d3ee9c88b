namespace DeepSim.Learning;

/// <summary>Why a model file could not be read.</summary>
public enum ModelFileError
{
    /// <summary>The file does not start with the DeepSim model signature.</summary>
    NotAModelFile = 0,

    /// <summary>The file is shorter than its header says (an interrupted copy or download).</summary>
    Truncated = 1,

    /// <summary>The content does not match its SHA-256 checksum (damaged on disk or in transfer).</summary>
    ChecksumMismatch = 2,

    /// <summary>The file holds another kind of model than the one asked for (e.g. an SDAE where a similarity model is needed).</summary>
    WrongKind = 3,

    /// <summary>The file was written by a newer DeepSim with a format version this one cannot read.</summary>
    UnsupportedVersion = 4,

    /// <summary>The checksum is right but the content is inconsistent (should not happen with files DeepSim wrote).</summary>
    Corrupt = 5,

    /// <summary>A weight or bias is NaN or infinite: such a model scores every patch NaN, so it is refused.</summary>
    NonFiniteWeights = 6,
}

/// <summary>A model file could not be read; <see cref="Error"/> says why and <see cref="Path"/> which file.</summary>
public sealed class ModelFileException : IOException
{
    /// <summary>Creates the exception.</summary>
    public ModelFileException(ModelFileError error, string path, string message, Exception? innerException = null)
        : base($"{DeepSim.IO.MessageText.Clean(path)}: {DeepSim.IO.MessageText.Clean(message)}", innerException)
    {
        Error = error;
        Path = path;
    }

    /// <summary>What is wrong with the file.</summary>
    public ModelFileError Error { get; }

    /// <summary>The file.</summary>
    public string Path { get; }
}
