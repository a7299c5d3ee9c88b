namespace DeepSim.Archive;

/// <summary>A study found by QIDO-RS.</summary>
public sealed class DicomWebStudy
{
    /// <summary>The server the study was found on.</summary>
    public required DicomWebServer Server { get; init; }

    /// <summary>Study Instance UID (0020,000D).</summary>
    public required string StudyInstanceUID { get; init; }

    /// <summary>Patient ID (0010,0020).</summary>
    public string? PatientID { get; init; }

    /// <summary>Patient's name (0010,0010), alphabetic form.</summary>
    public string? PatientName { get; init; }

    /// <summary>Study date (0008,0020), YYYYMMDD.</summary>
    public string? StudyDate { get; init; }

    /// <summary>Study description (0008,1030).</summary>
    public string? StudyDescription { get; init; }

    /// <summary>Accession number (0008,0050).</summary>
    public string? AccessionNumber { get; init; }

    /// <summary>Modalities in study (0008,0061).</summary>
    public string[] ModalitiesInStudy { get; init; } = [];

    /// <summary>Number of study related series (0020,1206), when the server gives it.</summary>
    public int? NumberOfStudyRelatedSeries { get; init; }

    /// <summary>Number of study related instances (0020,1208), when the server gives it.</summary>
    public int? NumberOfStudyRelatedInstances { get; init; }

    /// <summary>The study's WADO-RS URL.</summary>
    public Uri Uri => Server.Resolve("studies/" + Uri.EscapeDataString(StudyInstanceUID));

    /// <inheritdoc />
    public override string ToString() => $"{PatientID} {StudyDate} {StudyInstanceUID}";
}

/// <summary>A series found by QIDO-RS; piped to Import-MedicalImage it is retrieved with WADO-RS.</summary>
public sealed class DicomWebSeries
{
    /// <summary>The server the series was found on.</summary>
    public required DicomWebServer Server { get; init; }

    /// <summary>Study Instance UID (0020,000D).</summary>
    public required string StudyInstanceUID { get; init; }

    /// <summary>Series Instance UID (0020,000E).</summary>
    public required string SeriesInstanceUID { get; init; }

    /// <summary>Patient ID (0010,0020), when the server gives it at series level.</summary>
    public string? PatientID { get; init; }

    /// <summary>Study date (0008,0020), when the server gives it at series level.</summary>
    public string? StudyDate { get; init; }

    /// <summary>Modality (0008,0060).</summary>
    public string? Modality { get; init; }

    /// <summary>Series number (0020,0011).</summary>
    public int? SeriesNumber { get; init; }

    /// <summary>Series description (0008,103E).</summary>
    public string? SeriesDescription { get; init; }

    /// <summary>Body part examined (0018,0015).</summary>
    public string? BodyPartExamined { get; init; }

    /// <summary>Number of series related instances (0020,1209): what a complete retrieval must bring.</summary>
    public int? NumberOfSeriesRelatedInstances { get; init; }

    /// <summary>The series' WADO-RS URL.</summary>
    public Uri Uri => Server.Resolve("studies/" + Uri.EscapeDataString(StudyInstanceUID) + "/series/" + Uri.EscapeDataString(SeriesInstanceUID));

    /// <inheritdoc />
    public override string ToString() => $"{PatientID} {Modality} {SeriesInstanceUID}";
}

/// <summary>An instance found by QIDO-RS.</summary>
public sealed class DicomWebInstance
{
    /// <summary>The server the instance was found on.</summary>
    public required DicomWebServer Server { get; init; }

    /// <summary>Study Instance UID (0020,000D).</summary>
    public required string StudyInstanceUID { get; init; }

    /// <summary>Series Instance UID (0020,000E).</summary>
    public required string SeriesInstanceUID { get; init; }

    /// <summary>SOP Instance UID (0008,0018).</summary>
    public required string SOPInstanceUID { get; init; }

    /// <summary>SOP Class UID (0008,0016).</summary>
    public string? SOPClassUID { get; init; }

    /// <summary>Instance number (0020,0013).</summary>
    public int? InstanceNumber { get; init; }

    /// <summary>Number of frames (0028,0008) of a multi-frame object, when the server gives it.</summary>
    public int? NumberOfFrames { get; init; }

    /// <summary>The instance's WADO-RS URL.</summary>
    public Uri Uri => Server.Resolve("studies/" + Uri.EscapeDataString(StudyInstanceUID) + "/series/" + Uri.EscapeDataString(SeriesInstanceUID) + "/instances/" + Uri.EscapeDataString(SOPInstanceUID));

    /// <inheritdoc />
    public override string ToString() => InstanceNumber is int n ? $"{n} {SOPInstanceUID}" : SOPInstanceUID;
}

/// <summary>Progress of a retrieval: instances received so far and how many are expected (0 when unknown).</summary>
public readonly record struct DicomWebProgress(string SeriesInstanceUID, int InstancesReceived, int InstancesExpected, long BytesReceived);
