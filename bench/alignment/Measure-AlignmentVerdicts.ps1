<#
.SYNOPSIS
Issue 13's verdict measurement: on 20 CT/MR pairs of ../shared/data/ct-mr-head, half of them misaligned on purpose by
known rigid transforms, does Test-ImageAlignment flag exactly the misaligned ones? A confusion table per metric.

.DESCRIPTION
The pairs are the first 20 (by file name) whose MR, after Import-ImagePair -Align's integer correction, is aligned
with its CT. Every second pair (seeded) is then moved: a rotation of 3-10 degrees about the image centre and a shift of
3-8 px per axis with random signs, through Invoke-ImageResample; its largest displacement over the head is far above
the tolerances. Writes a Markdown report with the machine, the command, the per-pair verdicts and the confusion tables.

.EXAMPLE
dotnet pwsh -File bench/alignment/Measure-AlignmentVerdicts.ps1 -Metric MI, LCC
#>
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../out/DeepSim/DeepSim.psd1'),
    [string] $DataPath = (Join-Path $PSScriptRoot '../../../shared/data/ct-mr-head'),
    [string[]] $Metric = @('MI', 'LCC'),
    [int] $Pairs = 20,
    [double] $Tolerance = 3,
    # Also tabulated: the verdict at these tolerances, from the same measured displacements.
    [double[]] $Thresholds = @(1, 2, 3, 4),
    [int] $Seed = 13,
    [string] $OutputPath = (Join-Path $PSScriptRoot 'RESULTS.md')
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$all = Import-ImagePair (Join-Path $DataPath 'CT') (Join-Path $DataPath 'MR') -Align 3>$null |
    Where-Object { [math]::Abs($_.Shift.Dx) -lt 8 -and [math]::Abs($_.Shift.Dy) -lt 8 } | Sort-Object Name | Select-Object -First $Pairs
$rng = [Random]::new($Seed)
$cases = for ($i = 0; $i -lt $all.Count; $i++) {
    $p = $all[$i]
    $misaligned = ($i % 2) -eq 1
    $moving = $p.Moving
    $truth = 'aligned'
    if ($misaligned) {
        $sign = { if ($rng.Next(2) -eq 0) { -1 } else { 1 } }
        $angle = (& $sign) * (3 + 7 * $rng.NextDouble())
        $tx = (& $sign) * (3 + 5 * $rng.NextDouble()); $ty = (& $sign) * (3 + 5 * $rng.NextDouble())
        $c = $moving.Geometry.IndexToPhysical(($moving.SizeX - 1) / 2, ($moving.SizeY - 1) / 2, 0)
        $t = [DeepSim.Registration.Euler2DTransform]::new($angle * [math]::PI / 180, [double[]]@($tx, $ty), [double[]]@($c[0], $c[1]))
        $moving = Invoke-ImageResample -Image $moving -Transform $t -Reference $moving
        $truth = 'rot {0:F1} deg, shift ({1:F1}, {2:F1}) px' -f $angle, $tx, $ty
    }
    [pscustomobject]@{ Name = $p.Name; Fixed = $p.Fixed; Moving = $moving; Misaligned = $misaligned; Truth = $truth }
}

$rows = foreach ($m in $Metric) {
    foreach ($c in $cases) {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $v = Test-ImageAlignment -Fixed $c.Fixed -Moving $c.Moving -Metric $m -Tolerance $Tolerance -Seed 1
        [pscustomobject]@{
            Metric = $m; Name = $c.Name; Misaligned = $c.Misaligned; Truth = $c.Truth; Flagged = -not $v.Aligned
            MaxDisplacementMm = $v.MaxDisplacementMm; RotationDegrees = $v.RotationDegrees; Confidence = $v.Confidence; Seconds = $sw.Elapsed.TotalSeconds
        }
        Write-Host ("{0} {1} truth: {2}; flagged {3} (max displacement {4:F2} mm)" -f $m, $c.Name, $c.Truth, (-not $v.Aligned), $v.MaxDisplacementMm)
    }
}

$cpu = (Get-Content /proc/cpuinfo | Select-String '^model name' | Select-Object -First 1).Line -replace '^model name\s*:\s*', ''
$lines = @(
    '# Test-ImageAlignment on known misalignments (issue 13)'
    ''
    "Run $(Get-Date -AsUTC -Format 'yyyy-MM-dd HH:mm') UTC on $cpu, $([Environment]::ProcessorCount) vCPUs; load average at the end: $((Get-Content /proc/loadavg) -split ' ' | Select-Object -First 3)."
    "Command: ``dotnet pwsh -File bench/alignment/Measure-AlignmentVerdicts.ps1 -Metric $($Metric -join ', ')``; tolerance $Tolerance mm (pixel spacing 1 mm), seed $Seed."
    ''
    "$($cases.Count) CT/MR pairs (after Import-ImagePair -Align), $(@($cases | Where-Object Misaligned).Count) of them moved on purpose (rotation 3-10 deg about the centre, shift 3-8 px per axis)."
    ''
    '| metric | misaligned and flagged | misaligned, not flagged | aligned, flagged | aligned, not flagged | exact? | mean s per pair |'
    '|---|---:|---:|---:|---:|---|---:|'
)
foreach ($m in $Metric) {
    $r = @($rows | Where-Object Metric -eq $m)
    $tp = @($r | Where-Object { $_.Misaligned -and $_.Flagged }).Count
    $fn = @($r | Where-Object { $_.Misaligned -and -not $_.Flagged }).Count
    $fp = @($r | Where-Object { -not $_.Misaligned -and $_.Flagged }).Count
    $tn = @($r | Where-Object { -not $_.Misaligned -and -not $_.Flagged }).Count
    $lines += "| $m | $tp | $fn | $fp | $tn | $(if ($fn + $fp -eq 0) { 'yes' } else { 'no' }) | $('{0:F1}' -f ($r | Measure-Object Seconds -Average).Average) |"
}
$lines += ''
$lines += 'The same measured displacements judged at other tolerances (misaligned flagged / aligned flagged, of 10 each):'
$lines += ''
$lines += '| metric | ' + (($Thresholds | ForEach-Object { "$_ mm" }) -join ' | ') + ' |'
$lines += '|---|' + (($Thresholds | ForEach-Object { '---' }) -join '|') + '|'
foreach ($m in $Metric) {
    $r = @($rows | Where-Object Metric -eq $m)
    $cells = foreach ($t in $Thresholds) { "$(@($r | Where-Object { $_.Misaligned -and $_.MaxDisplacementMm -gt $t }).Count) / $(@($r | Where-Object { -not $_.Misaligned -and $_.MaxDisplacementMm -gt $t }).Count)" }
    $lines += "| $m | $($cells -join ' | ') |"
}
$lines += ''
$lines += '| metric | pair | truth | flagged | max displacement (mm) | rotation (deg) | confidence |'
$lines += '|---|---|---|---|---:|---:|---:|'
$lines += $rows | ForEach-Object { "| $($_.Metric) | $($_.Name) | $($_.Truth) | $($_.Flagged) | $('{0:F2}' -f $_.MaxDisplacementMm) | $('{0:F2}' -f $_.RotationDegrees) | $('{0:F2}' -f $_.Confidence) |" }
$lines | Set-Content -LiteralPath $OutputPath
Write-Host "Wrote $OutputPath"
