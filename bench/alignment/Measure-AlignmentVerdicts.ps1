<#
.SYNOPSIS
Issue 13's verdict measurement: on 20 CT/MR pairs of ../shared/data/ct-mr-head, half of them misaligned on purpose by
known rigid transforms, does Test-ImageAlignment flag exactly the misaligned ones? A confusion table per metric.

.DESCRIPTION
Pair selection (the data's pairs are co-registered only to about 1 px, so "aligned" must mean "MI peaks at zero
shift"): every pair whose mutual information peaks at zero shift in mi-peak-shift.tsv (16 pairs), and, to reach 20,
the first pairs by name whose peak is 1 px off on one axis, where Import-ImagePair -Align's own estimate agrees with the
table, corrected by that integer shift (so that their MI peaks at zero shift too). Sorted by name, every second pair
(seeded) is then moved: a rotation of 3-10 degrees about the image centre and a shift of 3-8 px per axis with random
signs, through Invoke-ImageResample; its smallest displacement over the head is far above the tolerances. Each metric
judges every pair with Test-ImageAlignment (-Restarts 3, -Seed 1). Writes a Markdown report with the machine, the
load, the command, the confusion tables (at -Tolerance and at the -Thresholds) and the per-pair verdicts.

.EXAMPLE
dotnet pwsh -File bench/alignment/Measure-AlignmentVerdicts.ps1

.EXAMPLE
dotnet pwsh -Command "& bench/alignment/Measure-AlignmentVerdicts.ps1 -Metric MI -Pairs 6 -OutputPath /tmp/quick.md"
#>
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../out/DeepSim/DeepSim.psd1'),
    [string] $DataPath = (Join-Path $PSScriptRoot '../../../shared/data/ct-mr-head'),
    [string[]] $Metric = @('MI', 'NMI', 'LCC'),
    [int] $Pairs = 20,
    [double] $Tolerance = 3,
    [int] $Restarts = 3,
    # Also tabulated: the verdict at these tolerances, from the same measured displacements.
    [double[]] $Thresholds = @(1, 2, 3, 4),
    [int] $Seed = 13,
    [string] $OutputPath = (Join-Path $PSScriptRoot 'RESULTS.md')
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$startLoad = (Get-Content /proc/loadavg) -split ' ' | Select-Object -First 3
$peaks = Import-Csv (Join-Path $DataPath 'mi-peak-shift.tsv') -Delimiter "`t" | ForEach-Object { [pscustomobject]@{ Name = $_.file; Dy = [int]$_.dy; Dx = [int]$_.dx } }
$zero = @($peaks | Where-Object { $_.Dy -eq 0 -and $_.Dx -eq 0 } | Sort-Object Name)
$onePx = @($peaks | Where-Object { [math]::Abs($_.Dy) + [math]::Abs($_.Dx) -eq 1 } | Sort-Object Name)
$selected = [System.Collections.Generic.List[object]]::new()
foreach ($p in $zero) {
    if ($selected.Count -ge $Pairs) { break }
    $selected.Add([pscustomobject]@{ Name = $p.Name; Fixed = Import-MedicalImage (Join-Path $DataPath "CT/$($p.Name)"); Moving = Import-MedicalImage (Join-Path $DataPath "MR/$($p.Name)"); Correction = 'none (peak at 0)' })
}
foreach ($p in $onePx) {
    if ($selected.Count -ge $Pairs) { break }
    $f = Import-MedicalImage (Join-Path $DataPath "CT/$($p.Name)"); $m = Import-MedicalImage (Join-Path $DataPath "MR/$($p.Name)")
    # What Import-ImagePair -Align does: the integer shift maximising MI over the whole fixed image, within 8 px.
    $est = [DeepSim.Registration.ImageAlignment]::EstimateTranslation($f, $m, [DeepSim.Registration.MutualInformationRegion]::FixedImage, 8, 32, [Threading.CancellationToken]::None)
    if ($est.Dx -ne $p.Dx -or $est.Dy -ne $p.Dy) { continue }
    $selected.Add([pscustomobject]@{ Name = $p.Name; Fixed = $f; Moving = [DeepSim.Registration.ImageAlignment]::Correct($m, $est, $null); Correction = "shift ($($est.Dx), $($est.Dy)) px corrected" })
}
$all = @($selected | Sort-Object Name)

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
    [pscustomobject]@{ Name = $p.Name; Fixed = $p.Fixed; Moving = $moving; Misaligned = $misaligned; Truth = $truth; Correction = $p.Correction }
}

$rows = foreach ($m in $Metric) {
    foreach ($c in $cases) {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $v = Test-ImageAlignment -Fixed $c.Fixed -Moving $c.Moving -Metric $m -Tolerance $Tolerance -Restarts $Restarts -Seed 1 -WarningAction SilentlyContinue
        [pscustomobject]@{
            Metric = $m; Name = $c.Name; Misaligned = $c.Misaligned; Truth = $c.Truth; Flagged = -not $v.Aligned
            MaxDisplacementMm = $v.MaxDisplacementMm; RotationDegrees = $v.RotationDegrees; Confidence = $v.Confidence
            Spread = ($v.RestartDisagreementsMm | ForEach-Object { '{0:F1}' -f $_ }) -join ' / '; Seconds = $sw.Elapsed.TotalSeconds
        }
        Write-Host ("{0} {1} truth: {2}; flagged {3} (max displacement {4:F2} mm, confidence {5:F2})" -f $m, $c.Name, $c.Truth, (-not $v.Aligned), $v.MaxDisplacementMm, $v.Confidence)
    }
}

$cpu = (Get-Content /proc/cpuinfo | Select-String '^model name' | Select-Object -First 1).Line -replace '^model name\s*:\s*', ''
$nMis = @($cases | Where-Object Misaligned).Count; $nAl = $cases.Count - $nMis
$lines = @(
    '# Test-ImageAlignment on known misalignments (issue 13)'
    ''
    "Run $(Get-Date -AsUTC -Format 'yyyy-MM-dd HH:mm') UTC on $cpu, $([Environment]::ProcessorCount) vCPUs; load average at the start: $($startLoad -join ' '); at the end: $((Get-Content /proc/loadavg) -split ' ' | Select-Object -First 3)."
    "Command: ``dotnet pwsh -File bench/alignment/Measure-AlignmentVerdicts.ps1``; metrics $($Metric -join ', '); tolerance $Tolerance mm (pixel spacing 1 mm); $Restarts restarts per verdict; seed $Seed."
    ''
    "$($cases.Count) CT/MR pairs: $(@($cases | Where-Object Correction -like 'none*').Count) whose MI peaks at zero shift in mi-peak-shift.tsv and $(@($cases | Where-Object Correction -notlike 'none*').Count) whose peak is 1 px off on one axis, corrected by that shift (Import-ImagePair -Align's estimate, which agrees with the table for them). $nMis of them moved on purpose (rotation 3-10 deg about the centre, shift 3-8 px per axis), $nAl left as they are."
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
$lines += "The same measured displacements judged at other tolerances (misaligned flagged of $nMis / aligned flagged of $nAl):"
$lines += ''
$lines += '| metric | ' + (($Thresholds | ForEach-Object { "$_ mm" }) -join ' | ') + ' | largest aligned (mm) | smallest misaligned (mm) | mean confidence, aligned / misaligned |'
$lines += '|---|' + (($Thresholds | ForEach-Object { '---' }) -join '|') + '|---:|---:|---|'
foreach ($m in $Metric) {
    $r = @($rows | Where-Object Metric -eq $m)
    $cells = foreach ($t in $Thresholds) { "$(@($r | Where-Object { $_.Misaligned -and $_.MaxDisplacementMm -gt $t }).Count) / $(@($r | Where-Object { -not $_.Misaligned -and $_.MaxDisplacementMm -gt $t }).Count)" }
    $maxAl = ($r | Where-Object { -not $_.Misaligned } | Measure-Object MaxDisplacementMm -Maximum).Maximum
    $minMis = ($r | Where-Object Misaligned | Measure-Object MaxDisplacementMm -Minimum).Minimum
    $confAl = ($r | Where-Object { -not $_.Misaligned } | Measure-Object Confidence -Average).Average
    $confMis = ($r | Where-Object Misaligned | Measure-Object Confidence -Average).Average
    $lines += "| $m | $($cells -join ' | ') | $('{0:F2}' -f $maxAl) | $('{0:F2}' -f $minMis) | $('{0:F2} / {1:F2}' -f $confAl, $confMis) |"
}
$lines += ''
$lines += '| metric | pair | selection | truth | flagged | max displacement (mm) | rotation (deg) | confidence | restarts vs estimate (mm) |'
$lines += '|---|---|---|---|---|---:|---:|---:|---|'
$lines += $rows | ForEach-Object { $c = $cases | Where-Object Name -eq $_.Name; "| $($_.Metric) | $($_.Name) | $($c.Correction) | $($_.Truth) | $($_.Flagged) | $('{0:F2}' -f $_.MaxDisplacementMm) | $('{0:F2}' -f $_.RotationDegrees) | $('{0:F2}' -f $_.Confidence) | $($_.Spread) |" }
$lines | Set-Content -LiteralPath $OutputPath
Write-Host "Wrote $OutputPath"
