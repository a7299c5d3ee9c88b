<#
.SYNOPSIS
Issue 13: the same Measure-PredictionError work over CT/MR pairs, serially and with ForEach-Object -Parallel -ThrottleLimit 2.
.DESCRIPTION
Trains one small learned metric (seeded), then for each repetition runs the work (learned metric, NMI and LCC on every
pair) three ways, in this order:
  serial            one runspace, libtorch's default thread count (all cores);
  serial-1thread    one runspace with $DeepSimThreadLimit = 1 (what each parallel runspace uses);
  parallel          ForEach-Object -Parallel -ThrottleLimit 2 (one libtorch thread per runspace, automatically).
Every run's results are reduced to a fingerprint (every patch's rank, error and best score, bit for bit). The parallel
runs must equal the serial-1thread runs bit for bit (same thread count); against the default-thread serial run the
classical metrics must be bit-identical and the learned metric's best scores are compared to float rounding (libtorch's
kernels, and the scoring plan verified for a thread count, depend on the thread count); the largest difference is
reported. The script fails on any mismatch. Times are wall-clock per run; the median and range are written
to bench/fanout/RESULTS.md (or -ResultsPath) with the machine's core count and load.
.EXAMPLE
dotnet pwsh bench/fanout/Measure-FanOut.ps1 -ModulePath out/DeepSim/DeepSim.psd1
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string]$ModulePath,
    [string]$DataPath = (Join-Path $PSScriptRoot '../../../shared/data/ct-mr-head'),
    [int]$Pairs = 8,
    [int]$Repetitions = 3,
    [int]$Count = 60,
    [int]$SearchRadius = 20,
    [string]$ResultsPath = (Join-Path $PSScriptRoot 'RESULTS.md')
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$ModulePath = (Resolve-Path $ModulePath).Path
$DataPath = (Resolve-Path $DataPath).Path
Import-Module $ModulePath

function Get-Fingerprint([object[]] $Results) {
    foreach ($r in $Results) {
        $patches = foreach ($e in $r.Errors) { '{0},{1}:{2}/{3}/{4}' -f $e.Center.X, $e.Center.Y, $e.Rank, $e.Error, $e.BestScore.ToString('R', [cultureinfo]::InvariantCulture) }
        '{0}|{1}|{2}|{3}' -f $r.Metric, $r.Source, $r.MeanError.ToString('R', [cultureinfo]::InvariantCulture), ($patches -join ';')
    }
}

# Pairs spread over the data set (every k-th file name present in both CT and MR).
$names = Get-ChildItem (Join-Path $DataPath 'CT') -Filter *.png | Where-Object { Test-Path (Join-Path $DataPath "MR/$($_.Name)") } | ForEach-Object Name | Sort-Object
$step = [Math]::Max(1, [Math]::Floor($names.Count / $Pairs))
$list = for ($i = 0; $i -lt $Pairs; $i++) {
    $n = $names[$i * $step]
    [pscustomobject]@{ Name = $n; Ct = Join-Path $DataPath "CT/$n"; Mr = Join-Path $DataPath "MR/$n" }
}

$ct0 = Import-MedicalImage $list[0].Ct
$mr0 = Import-MedicalImage $list[0].Mr
$model = Get-PatchPair -Fixed $ct0 -Moving $mr0 -Region Skull -Count 2000 -Seed 3 | Invoke-SimilarityTraining -Epochs 5 -Seed 3

$work = {
    param($pair, $model, $count, $radius)
    $ct = Import-MedicalImage $pair.Ct
    $mr = Import-MedicalImage $pair.Mr
    Measure-PredictionError -Metric $model, 'NMI', 'LCC' -Fixed $ct -Moving $mr -Count $count -SearchRadius $radius -Seed 11 -SourceName $pair.Name
}
$workText = $work.ToString()

function Invoke-Serial([int] $Limit) {
    if ($Limit -gt 0) { $DeepSimThreadLimit = $Limit }
    foreach ($p in $list) { & $work $p $model $Count $SearchRadius }
}

function Invoke-Parallel {
    $out = $list | ForEach-Object -ThrottleLimit 2 -Parallel {
        Import-Module $using:ModulePath
        # Explicit: the automatic share (ProcessorCount / runspaces computing) depends on timing, and the outputs are
        # compared bit for bit with the serial run at one thread.
        $DeepSimThreadLimit = 1
        [pscustomobject]@{ Name = $_.Name; Results = (& ([scriptblock]::Create($using:workText)) $_ $using:model $using:Count $using:SearchRadius) }
    }
    $order = @($list.Name)
    $out | Sort-Object { $order.IndexOf($_.Name) } | ForEach-Object { $_.Results }
}

# Warm-up: load libtorch and the module in the parallel runspaces' way once, outside the timings.
$null = Invoke-Serial 0 | Select-Object -First 1
$times = @{ 'serial' = @(); 'serial-1thread' = @(); 'parallel' = @() }
$reference = @{}
$maxLearnedDiff = 0.0
function Get-Scores([object[]] $Results) { foreach ($r in $Results) { if ($r.Metric -notin 'NMI', 'LCC') { $r.Errors | ForEach-Object { [double]$_.BestScore } } } }
for ($rep = 1; $rep -le $Repetitions; $rep++) {
    foreach ($mode in 'serial', 'serial-1thread', 'parallel') {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $results = switch ($mode) { 'serial' { Invoke-Serial 0 } 'serial-1thread' { Invoke-Serial 1 } 'parallel' { Invoke-Parallel } }
        $sw.Stop()
        $fp = @(Get-Fingerprint $results)
        $key = if ($mode -eq 'serial') { 'default' } else { 'one-thread' }
        if (-not $reference.ContainsKey($key)) { $reference[$key] = $fp; $reference["$key-scores"] = @(Get-Scores $results) }
        $same = ($fp.Count -eq $reference[$key].Count) -and -not (Compare-Object $fp $reference[$key] -SyncWindow 0)
        if (-not $same) { throw "Run $rep ($mode) gave different numbers from the first run at the same thread count." }
        if ($reference.ContainsKey('default') -and $reference.ContainsKey('one-thread')) {
            $classical = { param($f) $f | Where-Object { $_ -match '^(NMI|LCC)\|' } }
            if (Compare-Object @(& $classical $reference['default']) @(& $classical $reference['one-thread']) -SyncWindow 0) { throw 'The classical metrics differ between thread counts.' }
            $a = $reference['default-scores']; $b = $reference['one-thread-scores']
            for ($i = 0; $i -lt $a.Count; $i++) { $maxLearnedDiff = [Math]::Max($maxLearnedDiff, [Math]::Abs($a[$i] - $b[$i]) / [Math]::Max(1, [Math]::Abs($a[$i]))) }
            if ($maxLearnedDiff -gt 1e-4) { throw "Learned scores differ between thread counts by $maxLearnedDiff of their scale." }
        }
        $times[$mode] += $sw.Elapsed.TotalSeconds
        Write-Host ('rep {0} {1,-15} {2,7:F2} s  identical: {3}' -f $rep, $mode, $sw.Elapsed.TotalSeconds, $same)
    }
}

function Get-Median([double[]] $t) {
    $s = @($t | Sort-Object)
    if ($s.Count % 2 -eq 1) { $s[($s.Count - 1) / 2] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 }
}
function Format-Stat([double[]] $t) {
    $s = @($t | Sort-Object)
    '{0:F2} s ({1:F2}..{2:F2})' -f (Get-Median $t), $s[0], $s[-1]
}
$serialMedian = Get-Median $times['serial']
$parallelMedian = Get-Median $times['parallel']
$oneThreadMedian = Get-Median $times['serial-1thread']
$load = if (Test-Path /proc/loadavg) { (Get-Content /proc/loadavg).Split(' ')[0..2] -join ' ' } else { 'n/a' }
$rt = Get-DeepSimRuntime
$md = @"
# Fan-out: serial against ForEach-Object -Parallel -ThrottleLimit 2

Command: ``dotnet pwsh bench/fanout/Measure-FanOut.ps1 -ModulePath out/DeepSim/DeepSim.psd1 -Pairs $Pairs -Repetitions $Repetitions -Count $Count -SearchRadius $SearchRadius``

Work per pair: Measure-PredictionError with a learned metric (578-578-300-100-2, 5 epochs on 2,000 pairs), NMI and LCC;
$Count centres, search radius $SearchRadius ($((2 * $SearchRadius + 1) * (2 * $SearchRadius + 1)) candidates each); $Pairs CT/MR pairs from ct-mr-head.
Machine: $([Environment]::ProcessorCount) cores, libtorch default $($rt.ProcessDefaultThreads) threads, load average at the end $load
(the machine is shared: timings are noisy). Wall-clock median (min..max) of $Repetitions repetitions:

| run | time | outputs |
|---|---|---|
| serial, libtorch default threads | $(Format-Stat $times['serial']) | reference A |
| serial, `$DeepSimThreadLimit = 1 | $(Format-Stat $times['serial-1thread']) | reference B |
| ForEach-Object -Parallel -ThrottleLimit 2 (1 thread per runspace) | $(Format-Stat $times['parallel']) | identical to B, bit for bit |

Speed-up of the parallel run over the serial one (medians): $('{0:F2}' -f ($serialMedian / $parallelMedian))x; over the serial run at one thread: $('{0:F2}' -f ($oneThreadMedian / $parallelMedian))x.
Every repetition's per-patch ranks, errors and best scores equal those of the first run at the same thread count, bit
for bit. Between A and B, NMI and LCC are bit-identical; the learned metric's best scores differ by at most
$('{0:G3}' -f $maxLearnedDiff) of their scale (libtorch kernels sum in another order at another thread count).
"@
Set-Content -LiteralPath $ResultsPath -Value $md
Write-Host "Wrote $ResultsPath"
