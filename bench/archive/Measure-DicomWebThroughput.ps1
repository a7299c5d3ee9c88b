<#
.SYNOPSIS
DICOMweb against disk: reads one 120-slice CT series from a local Orthanc (Find-DicomSeries | Import-MedicalImage,
WADO-RS multipart) and the same files from disk (Import-MedicalImage <folder>), checks that the volumes are identical,
and prints median times and throughput. Writes nothing but its output; bench/archive/RESULTS.md records a run.

.EXAMPLE
dotnet pwsh -NoProfile bench/archive/Measure-DicomWebThroughput.ps1 -Repeat 5
#>
param(
    [string] $ModuleManifest = (Join-Path $PSScriptRoot '../../out/DeepSim/DeepSim.psd1'),
    [string] $SeriesFolder = (Join-Path ([IO.Path]::GetTempPath()) 'deepsim-bench-series-120'),
    [int] $Slices = 120,
    [int] $Repeat = 5
)
$ErrorActionPreference = 'Stop'
Import-Module $ModuleManifest
. (Join-Path $PSScriptRoot '../../tests/pester/OrthancHelpers.ps1')
if (-not $HasOrthanc) { throw 'Orthanc with its DICOMweb plugin is needed: apt-get install orthanc orthanc-dicomweb.' }

if (@(Get-ChildItem $SeriesFolder -Filter *.dcm -ErrorAction Ignore).Count -ne $Slices) {
    & /usr/bin/python3 (Join-Path $PSScriptRoot 'make_series.py') $SeriesFolder $Slices
    if ($LASTEXITCODE -ne 0) { throw 'make_series.py failed.' }
}
$files = Get-ChildItem $SeriesFolder -Filter *.dcm
$bytes = ($files | Measure-Object Length -Sum).Sum

$orthanc = Start-TestOrthanc
try {
    $upload = Measure-Command { foreach ($f in $files) { $null = Publish-TestOrthancFile $orthanc $f.FullName } }
    $series = Find-DicomSeries -Uri $orthanc.DicomWeb -PatientID 'BENCH-120'
    if ($series.NumberOfSeriesRelatedInstances -ne $Slices) { throw "Orthanc holds $($series.NumberOfSeriesRelatedInstances) instances, not $Slices." }

    $fromDisk = Import-MedicalImage $SeriesFolder
    $fromWeb = $series | Import-MedicalImage
    $same = $fromDisk.SizeZ -eq $Slices -and
        [Linq.Enumerable]::SequenceEqual([double[]]$fromDisk.Spacing, [double[]]$fromWeb.Spacing) -and
        [Linq.Enumerable]::SequenceEqual([double[]]$fromDisk.Origin, [double[]]$fromWeb.Origin) -and
        [Linq.Enumerable]::SequenceEqual([float[]]$fromDisk.GetVoxels(), [float[]]$fromWeb.GetVoxels())
    if (-not $same) { throw 'The DICOMweb volume differs from the disk volume.' }
    $fromDisk = $fromWeb = $null

    $disk = @(); $web = @()
    for ($i = 0; $i -lt $Repeat; $i++) {
        # Alternate the two so that a busy machine hurts both alike.
        [GC]::Collect()
        $disk += (Measure-Command { $null = Import-MedicalImage $SeriesFolder }).TotalSeconds
        [GC]::Collect()
        $web += (Measure-Command { $null = $series | Import-MedicalImage }).TotalSeconds
    }
    $median = { param($v) $s = $v | Sort-Object; $s[[int][Math]::Floor($s.Count / 2)] }
    $d = & $median $disk; $w = & $median $web
    $mb = $bytes / 1MB
    $cpu = (Get-Content /proc/cpuinfo | Where-Object { $_ -like 'model name*' } | Select-Object -First 1) -replace '^model name\s*:\s*', ''
    [pscustomobject]@{
        Machine          = "$cpu, $([Environment]::ProcessorCount) cores, load $((Get-Content /proc/loadavg).Split(' ')[0..2] -join ' ')"
        Series           = "$Slices slices 512x512 int16, $([Math]::Round($mb, 1)) MB"
        Identical        = $same
        UploadSeconds    = [Math]::Round($upload.TotalSeconds, 2)
        DiskSeconds      = ($disk | ForEach-Object { [Math]::Round($_, 3) }) -join ' '
        DicomWebSeconds  = ($web | ForEach-Object { [Math]::Round($_, 3) }) -join ' '
        DiskMedian       = [Math]::Round($d, 3)
        DicomWebMedian   = [Math]::Round($w, 3)
        DiskMBps         = [Math]::Round($mb / $d, 1)
        DicomWebMBps     = [Math]::Round($mb / $w, 1)
        DicomWebSlicesPs = [Math]::Round($Slices / $w, 1)
        WebOverDisk      = [Math]::Round($w / $d, 2)
    }
}
finally {
    Stop-TestOrthanc $orthanc
}
