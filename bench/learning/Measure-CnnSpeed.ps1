<#
.SYNOPSIS
Times DeepSim's two-branch CNN similarity: training the recommended configuration (Invoke-SimilarityTraining's
defaults on image pairs) and scoring 300 queries x 6,561 candidates (R = 40, P = 17) with ScoreSearchWindows.

.DESCRIPTION
Training uses every aligned CT/MR pair of ../shared/data/ct-mr-head (pass -TrainingSteps to shorten it: the scoring
time does not depend on the weights). Scoring is repeated -Repeats times on one pair; the median is printed with the
feature-map and dot-product shares. Timings are printed, never asserted; on the shared 2-core machine quote the load
average next to them.

.EXAMPLE
dotnet pwsh -File bench/learning/Measure-CnnSpeed.ps1
Full default training, then the scoring benchmark.

.EXAMPLE
dotnet pwsh -File bench/learning/Measure-CnnSpeed.ps1 -TrainingSteps 1
Only the scoring benchmark (a one-step model).

.EXAMPLE
dotnet pwsh -File bench/learning/Measure-CnnSpeed.ps1 -Preset TwoChannel -Repeats 1
The two-channel CNN: its training (600 steps), then its search (a batched forward pass per candidate).
#>
[CmdletBinding()]
param(
    [string] $DataPath = (Join-Path $PSScriptRoot '../../../shared/data/ct-mr-head'),
    [int] $TrainingSteps = 0,
    [int] $Repeats = 5,
    # Extra Invoke-SimilarityTraining parameters, e.g. @{ Anchor = 'Lcc' }.
    [hashtable] $Training = @{},
    # Cnn (the two-branch CNN) or TwoChannel (the two-channel CNN on the stacked patches: no feature maps).
    [ValidateSet('Cnn', 'TwoChannel')] [string] $Preset = 'Cnn',
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../out/DeepSim/DeepSim.psd1')
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force
$pairs = @(Import-ImagePair -FixedPath (Join-Path $DataPath 'CT') -MovingPath (Join-Path $DataPath 'MR') -Align -MaxShift 8 -WarningAction SilentlyContinue | Where-Object { -not $_.Shift.AtSearchBorder })
$trainArgs = @{ Seed = 1 }
if ($TrainingSteps -gt 0) { $trainArgs.Epochs = 1; $trainArgs.StepsPerEpoch = $TrainingSteps }
$load = (Get-Content /proc/loadavg -ErrorAction SilentlyContinue) -split ' ' | Select-Object -First 1
$t = [Diagnostics.Stopwatch]::StartNew()
$model = $pairs | Invoke-SimilarityTraining -Preset $Preset @trainArgs @Training
$t.Stop()
Write-Host ("training: {0:N1} s on {1} pairs ({2} epochs x {3} steps of {4} crops {5}x{5}), load average {6}" -f $t.Elapsed.TotalSeconds, $pairs.Count, $model.Options.Epochs, $model.Options.StepsPerEpoch, $model.Options.CropsPerBatch, $model.Options.CropSize, $load)

$pair = $pairs[0]
$rng = [Random]::new(1)
$centres = [DeepSim.Patches.PatchCenter[]]@(1..300 | ForEach-Object { [DeepSim.Patches.PatchCenter]::new($rng.Next(48, 208), $rng.Next(48, 208), 0) })
$scores = [float[]]::new(300 * 81 * 81)
$times = foreach ($i in 1..$Repeats) {
    $s = [Diagnostics.Stopwatch]::StartNew()
    $model.ScoreSearchWindows($pair.Fixed, $pair.Moving, $centres, 17, 40, $scores, $null, [Threading.CancellationToken]::None)
    $s.Elapsed.TotalSeconds
}
if ($Preset -eq 'TwoChannel') {
    $median = ($times | Sort-Object)[[int][Math]::Floor($times.Count / 2)]
    Write-Host ("scoring 300 x 6,561 (two-channel CNN, a forward pass per candidate): median {0:N3} s of {1} (all: {2}); load average {3}" -f $median, $Repeats, (($times | ForEach-Object { $_.ToString('N3') }) -join ', '), ((Get-Content /proc/loadavg) -split ' ')[0])
    return
}
$s = [Diagnostics.Stopwatch]::StartNew()
$null = $model.ComputeFeatureMaps($pair.Fixed, 'Fixed', [Threading.CancellationToken]::None)
$null = $model.ComputeFeatureMaps($pair.Moving, 'Moving', [Threading.CancellationToken]::None)
$maps = $s.Elapsed.TotalSeconds
$median = ($times | Sort-Object)[[int][Math]::Floor($times.Count / 2)]
$lcc = 0.0
if ($model.Anchor -eq 'Lcc') {
    # The anchor's share: the LCC metric's own search over the same queries.
    $s = [Diagnostics.Stopwatch]::StartNew()
    $model.AnchorMetric().ScoreSearchWindows($pair.Fixed, $pair.Moving, $centres, 17, 40, $scores, $null, [Threading.CancellationToken]::None)
    $lcc = $s.Elapsed.TotalSeconds
}
# The dot products' share is what is left of the median after the maps and the anchor, timed separately; when the
# separate timings exceed the median (timing noise), no rate is printed rather than a meaningless one.
$rest = $median - $maps - $lcc
$rate = if ($rest -gt 0.01) { '{0:N2} GFLOP/s in the dot products' -f ($model.CountSearchWindowFlops(300, 40) / 1e9 / $rest) } else { 'the dot products too fast to separate from the timing noise' }
Write-Host ("scoring 300 x 6,561 (anchor {5}, context scale {7}): median {0:N3} s of {1} (all: {2}); of which both feature maps {3:N3} s, the LCC anchor {6:N3} s; {8}; load average {4}" -f $median, $Repeats, (($times | ForEach-Object { $_.ToString('N3') }) -join ', '), $maps, ((Get-Content /proc/loadavg) -split ' ')[0], $model.Anchor, $lcc, $model.ContextScale, $rate)
