<#
.SYNOPSIS
Checks every CT/MR pair of an imaging archive (a DICOMweb server or a folder tree) for alignment and writes a CSV and
Markdown report and a figure of the worst pairs. Interruptible and resumable.

.DESCRIPTION
Read it top to bottom as an example of archive QA with DeepSim:
  1. finds the series: on a DICOMweb server with Find-DicomStudy | Find-DicomSeries (QIDO-RS); in a folder tree from
     the DICOM headers (Get-DicomTag: PatientID, StudyInstanceUID, SeriesInstanceUID, Modality), and for files without
     DICOM headers (NIfTI, MetaImage, PNG) from the layout <patient>/CT/<name> beside <patient>/MR/<name>;
  2. pairs every CT series with every MR series of the same patient and study;
  3. checks each pair with Test-ImageAlignment (rigid registration with -Metric; misalignment in mm and degrees, a
     confidence, and a verdict against -Tolerance), reading the images only when the pair is checked;
  4. appends one CSV row per pair as soon as it is checked, so that Ctrl+C loses at most the pair in progress, and a
     rerun skips the pairs already in the CSV (delete the CSV to start afresh);
  5. writes report.md (summary and the table, worst first) and worst-pairs.png (middle slices of the worst pairs:
     CT, MR and a checkerboard of the two when they share a grid).

.EXAMPLE
./examples/Test-ArchiveAlignment.ps1 -Path ./archive -OutputPath ./qa -Tolerance 3

Checks a folder tree of DICOM series (or CT/ and MR/ folders of NIfTI or PNG files) and writes ./qa/alignment.csv,
./qa/report.md and ./qa/worst-pairs.png. Run it again after an interruption: it goes on where it stopped.

.EXAMPLE
./examples/Test-ArchiveAlignment.ps1 -Uri https://pacs.example.org/dicom-web -Credential (Get-Credential) -PatientID 'P-2024*' -Metric NMI

Checks the CT/MR pairs of matching patients on a DICOMweb server, with basic authentication.
#>
[CmdletBinding(DefaultParameterSetName = 'Folder')]
param(
    # A folder tree to walk (DICOM series, or <patient>/CT and <patient>/MR folders of NIfTI, MetaImage or PNG files).
    [Parameter(Mandatory, ParameterSetName = 'Folder')]
    [string] $Path,
    # The DICOMweb service root, e.g. http://localhost:8042/dicom-web.
    [Parameter(Mandatory, ParameterSetName = 'DicomWeb')]
    [uri] $Uri,
    # Basic-authentication credentials for -Uri.
    [Parameter(ParameterSetName = 'DicomWeb')]
    [pscredential] $Credential,
    # A bearer token for -Uri.
    [Parameter(ParameterSetName = 'DicomWeb')]
    [securestring] $Token,
    # Patients to check on the server ('*' and '?' wildcards).
    [Parameter(ParameterSetName = 'DicomWeb')]
    [string] $PatientID = '*',
    # Where alignment.csv, report.md and worst-pairs.png go.
    [string] $OutputPath = './alignment-qa',
    # Largest displacement (mm) still called aligned. Default 3: on real CT/MR slices the verdict's own precision is
    # 2-3 mm, and 1 mm flags every aligned pair (bench/alignment/RESULTS.md); use 1 for same-modality or 3D data.
    [double] $Tolerance = 3,
    # A built-in metric name (MI, NMI, NCC, LCC, CR ...) or a SimilarityModel.
    [object] $Metric = 'MI',
    # How many of the worst pairs the figure shows.
    [ValidateRange(1, 12)]
    [int] $WorstCount = 4,
    # Extra parameters for Test-ImageAlignment (e.g. @{ Seed = 1; Iterations = 60, 40, 20 }).
    [hashtable] $AlignmentParameters = @{}
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
if (-not (Get-Command Test-ImageAlignment -ErrorAction Ignore)) { Import-Module (Join-Path $PSScriptRoot '../out/DeepSim/DeepSim.psd1') }
New-Item -ItemType Directory -Force -Path $OutputPath | Out-Null
$csvPath = Join-Path $OutputPath 'alignment.csv'

# 1. Find the series -----------------------------------------------------------------------------------------------
function Find-ArchiveSeries {
    if ($PSCmdlet.ParameterSetName -eq 'DicomWeb') {
        $auth = @{}
        if ($Credential) { $auth.Credential = $Credential }
        if ($Token) { $auth.Token = $Token }
        foreach ($study in Find-DicomStudy -Uri $Uri @auth -PatientID $PatientID) {
            foreach ($s in $study | Find-DicomSeries | Where-Object Modality -in 'CT', 'MR') {
                [pscustomobject]@{ Patient = $study.PatientID; Study = $study.StudyInstanceUID; Modality = $s.Modality; Series = $s.SeriesInstanceUID; Source = $s }
            }
        }
        return
    }

    $root = (Resolve-Path -LiteralPath $Path).ProviderPath
    $files = Get-ChildItem -LiteralPath $root -File -Recurse | Sort-Object FullName
    # DICOM files: identifiers from their headers (no pixel data read).
    $tags = @($files | Get-DicomTag -Name PatientID, StudyInstanceUID, SeriesInstanceUID, Modality -ErrorAction SilentlyContinue)
    $dicom = @{}
    foreach ($group in $tags | Group-Object Path) {
        $t = @{}; foreach ($v in $group.Group) { $t[$v.Keyword] = $v.Value }
        if ($t.Modality -in 'CT', 'MR' -and $t.SeriesInstanceUID) { $dicom[$group.Name] = $t }
    }
    foreach ($series in $dicom.GetEnumerator() | Group-Object { $_.Value.SeriesInstanceUID }) {
        $t = $series.Group[0].Value
        [pscustomobject]@{ Patient = $t.PatientID; Study = $t.StudyInstanceUID; Modality = $t.Modality; Series = $t.SeriesInstanceUID; Source = [string[]]@($series.Group.Name | Sort-Object) }
    }
    # Other images: <patient>/CT/<name> pairs with <patient>/MR/<name>.
    foreach ($f in $files | Where-Object { -not $dicom.ContainsKey($_.FullName) -and $_.Directory.Name -in 'CT', 'MR' -and $_.Extension -in '.nii', '.gz', '.mha', '.mhd', '.png' }) {
        $patientDir = $f.Directory.Parent
        [pscustomobject]@{ Patient = [IO.Path]::GetRelativePath($root, $patientDir.FullName); Study = $f.Name; Modality = $f.Directory.Name; Series = [IO.Path]::GetRelativePath($root, $f.FullName); Source = [string[]]@($f.FullName) }
    }
}

function Import-ArchiveSeries($Unit) {
    if ($Unit.Source -is [DeepSim.Archive.DicomWebSeries]) { return $Unit.Source | Import-MedicalImage | Select-Object -First 1 }
    Import-MedicalImage -LiteralPath $Unit.Source | Select-Object -First 1
}

# 2. Pair CT and MR by patient and study ---------------------------------------------------------------------------
$units = @(Find-ArchiveSeries)
$pairs = foreach ($g in $units | Group-Object Patient, Study) {
    foreach ($ct in $g.Group | Where-Object Modality -eq 'CT') {
        foreach ($mr in $g.Group | Where-Object Modality -eq 'MR') {
            [pscustomobject]@{ PairId = "$($ct.Patient) | $($ct.Study) | $($ct.Series) | $($mr.Series)"; Patient = $ct.Patient; Study = $ct.Study; CT = $ct; MR = $mr }
        }
    }
}
$pairs = @($pairs | Sort-Object PairId)

# 3.-4. Check each pair not yet in the report; one CSV row per pair, appended at once ---------------------------------
$done = @{}
if (Test-Path -LiteralPath $csvPath) { foreach ($row in Import-Csv -LiteralPath $csvPath) { $done[$row.PairId] = $true } }
$todo = @($pairs | Where-Object { -not $done.ContainsKey($_.PairId) })
Write-Host "$($units.Count) CT/MR series, $($pairs.Count) pairs; $($pairs.Count - $todo.Count) already in $csvPath, $($todo.Count) to check."
$inv = [cultureinfo]::InvariantCulture
$i = 0
foreach ($pair in $todo) {
    $i++
    Write-Progress -Id 1 -Activity 'Checking CT/MR alignment' -Status "$i of $($todo.Count): $($pair.Patient) $($pair.Study)" -PercentComplete (100 * ($i - 1) / $todo.Count)
    $row = [ordered]@{ PairId = $pair.PairId; Patient = $pair.Patient; Study = $pair.Study; CTSeries = $pair.CT.Series; MRSeries = $pair.MR.Series
        Status = 'checked'; Aligned = ''; MaxDisplacementMm = ''; TranslationMm = ''; RotationDegrees = ''; Confidence = ''; Metric = "$Metric"; Message = '' }
    try {
        $ct = Import-ArchiveSeries $pair.CT
        $mr = Import-ArchiveSeries $pair.MR
        $v = Test-ImageAlignment -Fixed $ct -Moving $mr -Tolerance $Tolerance -Metric $Metric @AlignmentParameters
        $row.Aligned = $v.Aligned; $row.Metric = $v.Metric
        $row.MaxDisplacementMm = $v.MaxDisplacementMm.ToString('0.###', $inv)
        $row.TranslationMm = $v.TranslationMm.ToString('0.###', $inv)
        $row.RotationDegrees = $v.RotationDegrees.ToString('0.###', $inv)
        $row.Confidence = $v.Confidence.ToString('0.###', $inv)
    }
    catch [System.Management.Automation.PipelineStoppedException] { throw }
    catch {
        # A pair that cannot be read or registered is reported, not fatal.
        $row.Status = 'error'; $row.Message = $_.Exception.Message
    }
    [pscustomobject]$row | Export-Csv -LiteralPath $csvPath -Append -NoTypeInformation
}
Write-Progress -Id 1 -Activity 'Checking CT/MR alignment' -Completed

# 5. The report, from everything in the CSV (this run and earlier ones) --------------------------------------------
$rows = if (Test-Path -LiteralPath $csvPath) { @(Import-Csv -LiteralPath $csvPath) } else { @() }
$checked = @($rows | Where-Object Status -eq 'checked')
$ranked = @($checked | Sort-Object { [double]::Parse($_.MaxDisplacementMm, $inv) } -Descending)
$misaligned = @($checked | Where-Object Aligned -eq 'False')
$md = [System.Text.StringBuilder]::new()
$null = $md.AppendLine('# CT/MR alignment report').AppendLine()
$null = $md.AppendLine("Source: $(if ($PSCmdlet.ParameterSetName -eq 'DicomWeb') { $Uri } else { $Path }); tolerance $Tolerance mm; metric $Metric; $((Get-Date).ToUniversalTime().ToString('u')).").AppendLine()
$null = $md.AppendLine("$($rows.Count) pairs: $($checked.Count - $misaligned.Count) aligned, $($misaligned.Count) misaligned, $(@($rows | Where-Object Status -eq 'error').Count) could not be checked.").AppendLine()
$null = $md.AppendLine('| Patient | Study | Aligned | Max displacement (mm) | Translation (mm) | Rotation (deg) | Confidence | Note |')
$null = $md.AppendLine('|---|---|---|---:|---:|---:|---:|---|')
foreach ($r in @($ranked) + @($rows | Where-Object Status -eq 'error')) {
    $null = $md.AppendLine("| $($r.Patient) | $($r.Study) | $($r.Aligned) | $($r.MaxDisplacementMm) | $($r.TranslationMm) | $($r.RotationDegrees) | $($r.Confidence) | $($r.Message -replace '\|', '/') |")
}
[IO.File]::WriteAllText((Join-Path $OutputPath 'report.md'), $md.ToString())

# The figure: middle slices of the worst pairs (CT, MR, and a checkerboard of the two when they share a grid).
function ConvertTo-SliceArray($Image) {
    $z = [int][Math]::Floor($Image.SizeZ / 2); $nx = $Image.SizeX; $ny = $Image.SizeY
    $voxels = $Image.GetVoxels(); $a = [double[,]]::new($ny, $nx); $offset = $z * $nx * $ny
    # Heatmap rows count upwards: image row 0 (the top) goes last.
    for ($y = 0; $y -lt $ny; $y++) { $row = $offset + $y * $nx; $r = $ny - 1 - $y; for ($x = 0; $x -lt $nx; $x++) { $a[$r, $x] = $voxels[$row + $x] } }
    , $a
}
function New-SlicePanel([string] $Title, $Data) {
    $plot = [ScottPlot.Plot]::new()
    $heatmap = $plot.Add.Heatmap($Data)
    $heatmap.Colormap = [ScottPlot.Colormaps.Grayscale]::new()
    $null = $plot.Title($Title)
    $plot.HideGrid()
    $plot
}
$worst = @($ranked | Select-Object -First $WorstCount)
if ($worst.Count -gt 0) {
    # ScottPlot ships with DeepSim; load it by path before naming its types.
    Add-Type -Path (Join-Path (Get-Command Test-ImageAlignment).Module.ModuleBase 'ScottPlot.dll')
    $panels = [System.Collections.Generic.List[ScottPlot.Plot]]::new()
    foreach ($r in $worst) {
        $pair = $pairs | Where-Object PairId -eq $r.PairId | Select-Object -First 1
        if (-not $pair) { continue }
        $ct = ConvertTo-SliceArray (Import-ArchiveSeries $pair.CT)
        $mr = ConvertTo-SliceArray (Import-ArchiveSeries $pair.MR)
        $label = "$($r.Patient) $($r.Study)"
        $panels.Add((New-SlicePanel "CT $label" $ct))
        $panels.Add((New-SlicePanel "MR, $($r.MaxDisplacementMm) mm" $mr))
        if ($ct.GetLength(0) -eq $mr.GetLength(0) -and $ct.GetLength(1) -eq $mr.GetLength(1)) {
            # Both rescaled to 0..1 so that neither modality's range dominates the checkerboard.
            $norm = { param($a) $min = [Linq.Enumerable]::Min([double[]]@($a)); $max = [Linq.Enumerable]::Max([double[]]@($a)); @($min, [Math]::Max($max - $min, 1e-9)) }
            $c = & $norm $ct; $m = & $norm $mr
            $board = [double[,]]::new($ct.GetLength(0), $ct.GetLength(1)); $tile = [Math]::Max(8, [int]($ct.GetLength(1) / 8))
            for ($y = 0; $y -lt $ct.GetLength(0); $y++) { for ($x = 0; $x -lt $ct.GetLength(1); $x++) {
                    $board[$y, $x] = if ((([int]($x / $tile)) + ([int]($y / $tile))) % 2 -eq 0) { ($ct[$y, $x] - $c[0]) / $c[1] } else { ($mr[$y, $x] - $m[0]) / $m[1] } } }
            $panels.Add((New-SlicePanel 'checkerboard' $board))
        }
    }
    if ($panels.Count -gt 0) {
        # A grid of panels (ScottPlot's Multiplot), written to a temporary name and renamed: never half a PNG.
        $columns = [Math]::Min(3, $panels.Count); $rowsCount = [int][Math]::Ceiling($panels.Count / $columns)
        $multi = [ScottPlot.Multiplot]::new($panels[0])
        foreach ($p in $panels | Select-Object -Skip 1) { [ScottPlot.IMultiplotExtensions]::AddPlot($multi, $p) }
        $multi.Layout = [ScottPlot.MultiplotLayouts.Grid]::new($rowsCount, $columns)
        $figure = Join-Path $OutputPath 'worst-pairs.png'
        $temp = "$figure.tmp.png"
        $null = [ScottPlot.IMultiplotExtensions]::SavePng($multi, $temp, 320 * $columns, 340 * $rowsCount)
        Move-Item -LiteralPath $temp -Destination $figure -Force
    }
}
Write-Host "Report: $(Join-Path $OutputPath 'report.md') ($($checked.Count) checked, $($misaligned.Count) misaligned)."
