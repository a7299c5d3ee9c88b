<#
.SYNOPSIS
Paired comparison of two metrics' 3D prediction errors on the same test centres: the mean of the per-centre
differences (A - B) with a 95 % percentile bootstrap interval, and how often A is better, equal or worse.

.DESCRIPTION
Reads errors.csv files written by Measure-Learned3D.ps1 (one or more, e.g. a CNN run and the full table's run), pairs
rows by modality and centre (X, Y, Z in the full volume's indices) and compares -Metric against each of -Against.
Runs with the same -Seed and -TestPatches use the same centres, so rows from different runs pair up; a centre present
in only one file is reported and left out.

.EXAMPLE
dotnet pwsh -File bench/learning3d/Compare-Paired.ps1 -ErrorFiles ./out/learned3d-cnn/errors.csv, bench/learning3d/results/T1/errors.csv, bench/learning3d/results/T2/errors.csv, bench/learning3d/results/PD/errors.csv -Metric 'CNN 3D (cosine + LCC anchor)' -Against NMI, LCC
The CNN rows against NMI and LCC on the 200 left-hemisphere centres per modality.

.EXAMPLE
dotnet pwsh -File bench/learning3d/Compare-Paired.ps1 -ErrorFiles ./out/a/errors.csv -Metric 'CNN 3D (cosine only)' -Against 'CNN 3D (cosine + LCC anchor)'
What the LCC term adds, centre by centre.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string[]] $ErrorFiles,
    [Parameter(Mandatory)] [string] $Metric,
    [Parameter(Mandatory)] [string[]] $Against,
    [int] $Resamples = 2000,
    [int] $Seed = 1
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$rows = foreach ($f in $ErrorFiles) { Import-Csv -LiteralPath $f }
$byKey = @{}
foreach ($r in $rows) {
    $key = "$($r.Modality)|$($r.Metric)|$($r.X)|$($r.Y)|$($r.Z)"
    $byKey[$key] = [double]$r.Error
}

foreach ($modality in @($rows | Where-Object Metric -EQ $Metric | Select-Object -ExpandProperty Modality -Unique)) {
    $mine = @($rows | Where-Object { $_.Modality -eq $modality -and $_.Metric -eq $Metric })
    foreach ($other in $Against) {
        $d = [System.Collections.Generic.List[double]]::new()
        $missing = 0
        foreach ($r in $mine) {
            $key = "$modality|$other|$($r.X)|$($r.Y)|$($r.Z)"
            if ($byKey.ContainsKey($key)) { $d.Add([double]$r.Error - $byKey[$key]) } else { $missing++ }
        }
        if ($d.Count -eq 0) { Write-Warning "CT/$($modality): no centre of '$Metric' has a '$other' row."; continue }
        $rng = [Random]::new($Seed)
        $means = [double[]]::new($Resamples)
        for ($b = 0; $b -lt $Resamples; $b++) {
            $sum = 0.0
            for ($i = 0; $i -lt $d.Count; $i++) { $sum += $d[$rng.Next($d.Count)] }
            $means[$b] = $sum / $d.Count
        }
        [Array]::Sort($means)
        $mean = ($d | Measure-Object -Average).Average
        [pscustomobject]@{
            Modality = "CT/$modality"; Metric = $Metric; Against = $other; Pairs = $d.Count; Missing = $missing
            MeanDifference = [Math]::Round($mean, 1)
            Lower = [Math]::Round($means[[int][Math]::Floor(0.025 * ($Resamples - 1))], 1)
            Upper = [Math]::Round($means[[int][Math]::Ceiling(0.975 * ($Resamples - 1))], 1)
            Better = @($d | Where-Object { $_ -lt 0 }).Count; Equal = @($d | Where-Object { $_ -eq 0 }).Count; Worse = @($d | Where-Object { $_ -gt 0 }).Count
        }
    }
}
