<#
.SYNOPSIS
Issue 6: DeepSim side by side with what a user would pick instead (PyTorch, scikit-image, NumPy), in one run.
.DESCRIPTION
Writes the data once (4,000 real CT/MR patch pairs, the evaluation slice and its 300 protocol centres), then, for each
repetition, runs every workload for DeepSim (each in a fresh pwsh: DeepSimWorker.ps1) and for its peer (bench/peers,
Debian's /usr/bin/python3 with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset for that command only), alternating.
Reports median and min..max, peak memory (VmHWM) and the issue's targets as PASS/MISS, and writes bench/RESULTS.md.
Run it through the build: dotnet pwsh ./build.ps1 -Task Bench
.PARAMETER Quick
One repetition with 2 epochs and fewer peer queries: a smoke test of the harness (results go to the work folder, not
bench/RESULTS.md, unless -ResultsPath is given).
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string]$ModulePath,
    [int]$Repetitions = 5,
    [switch]$Quick,
    [string]$DataPath = (Join-Path $PSScriptRoot '../../shared/data/ct-mr-head'),
    [string]$WorkDir = (Join-Path ([IO.Path]::GetTempPath()) "deepsim-bench-$PID"),
    [string]$Python = '/usr/bin/python3',
    [int]$SdaeEpochs = 20,
    [int]$Epochs = 20,
    [int]$SkimageQueries = 10,
    [int]$NumpyQueries = 60,
    [int]$StallRuns = 10,
    [string]$ResultsPath
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$ModulePath = (Resolve-Path $ModulePath).Path
$DataPath = (Resolve-Path $DataPath).Path
$peerQueries = 300
if ($Quick) {
    $Repetitions = 1; $SdaeEpochs = 2; $Epochs = 2; $SkimageQueries = 2; $NumpyQueries = 10; $StallRuns = 2; $peerQueries = 20
    if (-not $ResultsPath) { $ResultsPath = Join-Path $WorkDir 'RESULTS-quick.md' }
}
if (-not $ResultsPath) { $ResultsPath = Join-Path $PSScriptRoot 'RESULTS.md' }
New-Item -ItemType Directory -Force -Path $WorkDir | Out-Null

# Fresh pwsh: under `dotnet pwsh` the process is the dotnet host and pwsh is a DLL in $PSHOME.
$pwshCmd = if ([IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') { @([Environment]::ProcessPath, (Join-Path $PSHOME 'pwsh.dll')) } else { @([Environment]::ProcessPath) }
$worker = Join-Path $PSScriptRoot 'DeepSimWorker.ps1'
$torchPeer = Join-Path $PSScriptRoot 'peers/torch_peer.py'
$metricsDir = Join-Path $PSScriptRoot 'metrics'

function Read-JsonLine([object[]]$Lines, [string]$What) {
    $json = @($Lines | ForEach-Object { "$_" } | Where-Object { $_.StartsWith('{') }) | Select-Object -Last 1
    if (-not $json) { throw "$What printed no result:`n$($Lines -join "`n")" }
    $json | ConvertFrom-Json
}

function Invoke-DeepSim([string]$Task, [string[]]$Extra = @()) {
    $a = @($pwshCmd | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $worker, '-Task', $Task, '-ModulePath', $ModulePath,
        '-WorkDir', $WorkDir, '-DataPath', $DataPath, '-SdaeEpochs', $SdaeEpochs, '-Epochs', $Epochs) + $Extra
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $lines = & $pwshCmd[0] @a 2>&1
    if ($LASTEXITCODE -ne 0) { throw "DeepSim $Task failed ($LASTEXITCODE):`n$($lines -join "`n")" }
    $r = Read-JsonLine $lines "DeepSim $Task"
    $r | Add-Member processSeconds $sw.Elapsed.TotalSeconds
    $r
}

function Invoke-Peer([string]$Script, [string[]]$Arguments) {
    # The machines set OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE on purpose; the peer runs without them (its best BLAS kernels).
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $lines = & env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $Python $Script @Arguments 2>&1
    if ($LASTEXITCODE -ne 0) { throw "$Script $($Arguments -join ' ') failed ($LASTEXITCODE):`n$($lines -join "`n")" }
    $r = Read-JsonLine $lines $Script
    $r | Add-Member processSeconds $sw.Elapsed.TotalSeconds
    $r
}

function Measure-Stat([double[]]$Values) {
    $s = @($Values | Sort-Object)
    $m = if ($s.Count % 2) { $s[($s.Count - 1) / 2] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 }
    [pscustomobject]@{ Median = $m; Min = $s[0]; Max = $s[-1]; Count = $s.Count }
}

function Format-Stat($Stat, [string]$Format = 'F2', [string]$Unit = ' s') {
    if ($Stat.Count -le 1) { return "$($Stat.Median.ToString($Format))$Unit" }
    "$($Stat.Median.ToString($Format))$Unit [$($Stat.Min.ToString($Format))..$($Stat.Max.ToString($Format))]"
}

function Read-Floats([string]$Path) {
    $bytes = [IO.File]::ReadAllBytes($Path)
    $f = [float[]]::new($bytes.Length / 4)
    [Buffer]::BlockCopy($bytes, 0, $f, 0, $bytes.Length)
    , $f
}

$dpkg = { param($p) (& dpkg-query -W -f '${Version}' $p 2>$null) }
if (-not (& $dpkg 'libopenblas0-pthread')) { throw 'libopenblas0-pthread is not installed: without it Debian''s torch uses reference BLAS (~6 GFLOP/s). apt-get install -y libopenblas0-pthread' }

Write-Host "== setup: training pairs, evaluation slice, centres -> $WorkDir" -ForegroundColor Cyan
$setup = Invoke-DeepSim 'setup'
$input = Get-Content (Join-Path $WorkDir 'input.json') -Raw | ConvertFrom-Json
Copy-Item (Join-Path $WorkDir 'input.json') (Join-Path $WorkDir 'nmi-input.json')

$runs = [Collections.Generic.List[object]]::new()
function Add-Run([string]$Workload, [string]$Who, $Result) {
    $runs.Add([pscustomobject]@{ Workload = $Workload; Who = $Who; Result = $Result })
    $shown = if ($Result.PSObject.Properties['seconds']) { '{0:F2} s' -f $Result.seconds } elseif ($Result.PSObject.Properties['importFirstCallSeconds']) { '{0:F2} s' -f $Result.importFirstCallSeconds } else { '{0:F0} GFLOP/s' -f $Result.gflops }
    Write-Host ("  {0,-14} {1,-22} {2,12}  peak {3} MiB" -f $Workload, $Who, $shown, $Result.peakMiB)
}

$bf16Diffs = @(); $dnnMismatch = @()
for ($rep = 1; $rep -le $Repetitions; $rep++) {
    Write-Host "== repetition $rep / $Repetitions" -ForegroundColor Cyan
    Add-Run 'matmul' 'DeepSim (TorchSharp)' (Invoke-DeepSim 'matmul')
    Add-Run 'matmul' 'PyTorch (OpenBLAS)' (Invoke-Peer $torchPeer @('matmul', '--work', $WorkDir))
    Add-Run 'import' 'DeepSim' (Invoke-DeepSim 'import')
    Add-Run 'import' 'PyTorch' (Invoke-Peer $torchPeer @('import', '--work', $WorkDir))
    Add-Run 'train' 'DeepSim' (Invoke-DeepSim 'train')
    Add-Run 'train' 'PyTorch' (Invoke-Peer $torchPeer @('train', '--work', $WorkDir, '--sdae-epochs', $SdaeEpochs, '--epochs', $Epochs))
    $d = Invoke-DeepSim 'evaluate-dnn'
    Add-Run 'evaluate-dnn' 'DeepSim' $d
    $p = Invoke-Peer $torchPeer @('evaluate-dnn', '--work', $WorkDir, '--queries', $peerQueries)
    Add-Run 'evaluate-dnn' 'PyTorch' $p
    $dnnMismatch += @(0..($p.errors.Count - 1) | Where-Object { $p.errors[$_] -ne $d.errors[$_] }).Count
    $bf16Diffs += @(0..($d.errors.Count - 1) | Where-Object { $d.errors[$_] -ne $d.bf16Errors[$_] }).Count
    Add-Run 'evaluate-nmi' 'DeepSim' (Invoke-DeepSim 'evaluate-nmi' @('-Repeat', $SkimageQueries))
    Add-Run 'evaluate-nmi' 'scikit-image loop' (Invoke-Peer (Join-Path $metricsDir 'nmi_skimage.py') @((Join-Path $WorkDir 'nmi-input.json'), '--queries', $SkimageQueries, '--scores', (Join-Path $WorkDir 'nmi-skimage.f32')))
    Add-Run 'evaluate-nmi' 'NumPy vectorised' (Invoke-Peer (Join-Path $metricsDir 'nmi_numpy.py') @((Join-Path $WorkDir 'nmi-input.json'), '--queries', $NumpyQueries, '--scores', (Join-Path $WorkDir 'nmi-numpy.f32')))
}
Write-Host "== stalls: $StallRuns evaluate-dnn runs in one process" -ForegroundColor Cyan
$stall = Invoke-DeepSim 'evaluate-dnn' @('-Repeat', $StallRuns)
Write-Host ("  times: {0}" -f (($stall.times | ForEach-Object { $_.ToString('F2') }) -join ', '))

# ---- figures
function Get-Values([string]$Workload, [string]$Who, [string]$Field) { @($runs | Where-Object { $_.Workload -eq $Workload -and $_.Who -eq $Who } | ForEach-Object { [double]$_.Result.$Field }) }
$pairsTotal = 300.0 * 6561
$tsMatmul = Measure-Stat (Get-Values 'matmul' 'DeepSim (TorchSharp)' 'gflops')
$obMatmul = Measure-Stat (Get-Values 'matmul' 'PyTorch (OpenBLAS)' 'gflops')
$bestMatmul = [math]::Max($tsMatmul.Max, $obMatmul.Max)
$bestMatmulWho = if ($tsMatmul.Max -ge $obMatmul.Max) { 'TorchSharp/MKL' } else { 'PyTorch/OpenBLAS' }
$dTrain = Measure-Stat (Get-Values 'train' 'DeepSim' 'seconds'); $pTrain = Measure-Stat (Get-Values 'train' 'PyTorch' 'seconds')
$dDnn = Measure-Stat (Get-Values 'evaluate-dnn' 'DeepSim' 'seconds')
$pDnnRaw = Measure-Stat (Get-Values 'evaluate-dnn' 'PyTorch' 'seconds')
$pScale = 300.0 / $peerQueries
$pDnn = [pscustomobject]@{ Median = $pDnnRaw.Median * $pScale; Min = $pDnnRaw.Min * $pScale; Max = $pDnnRaw.Max * $pScale; Count = $pDnnRaw.Count }
$dBf16 = Measure-Stat (Get-Values 'evaluate-dnn' 'DeepSim' 'bf16Seconds')
$dRun = @($runs | Where-Object { $_.Workload -eq 'evaluate-dnn' -and $_.Who -eq 'DeepSim' })[0].Result
$executedG = $dRun.executedFlops / 1e9; $naiveG = $dRun.naiveFlops / 1e9
$achieved = $executedG / $dDnn.Median
$dNmi = Measure-Stat (Get-Values 'evaluate-nmi' 'DeepSim' 'seconds')
$dLcc = Measure-Stat (Get-Values 'evaluate-nmi' 'DeepSim' 'lccSeconds')
$skUs = Measure-Stat (Get-Values 'evaluate-nmi' 'scikit-image loop' 'usPerPair')
$npUs = Measure-Stat (Get-Values 'evaluate-nmi' 'NumPy vectorised' 'usPerPair')
$dNmiUs = $dNmi.Median * 1e6 / $pairsTotal
$dImport = Measure-Stat (Get-Values 'import' 'DeepSim' 'importFirstCallSeconds')
$dTorchFirst = Measure-Stat (Get-Values 'import' 'DeepSim' 'firstTorchCallSeconds')
$pImport = Measure-Stat (Get-Values 'import' 'PyTorch' 'importFirstCallSeconds')
$dImportProc = Measure-Stat (Get-Values 'import' 'DeepSim' 'processSeconds')
$pImportProc = Measure-Stat (Get-Values 'import' 'PyTorch' 'processSeconds')
$peak = { param($w, $who) (Measure-Stat (Get-Values $w $who 'peakMiB')).Max }

# NMI values: DeepSim's maps against scikit-image's scores on the same first queries.
$dn = Read-Floats (Join-Path $WorkDir 'nmi-deepsim.f32'); $sk = Read-Floats (Join-Path $WorkDir 'nmi-skimage.f32'); $np = Read-Floats (Join-Path $WorkDir 'nmi-numpy.f32')
$cmp = [math]::Min($dn.Length, $sk.Length); $maxSk = 0.0; $maxNp = 0.0
for ($i = 0; $i -lt $cmp; $i++) { $maxSk = [math]::Max($maxSk, [math]::Abs([double]$dn[$i] - $sk[$i])); $maxNp = [math]::Max($maxNp, [math]::Abs([double]$dn[$i] - $np[$i])) }

$stallStat = Measure-Stat ([double[]]$stall.times)
$targets = @(
    [pscustomobject]@{ Target = 'evaluate-dnn float32: DeepSim / PyTorch <= 0.5'; Value = $dDnn.Median / $pDnn.Median; Limit = 0.5; Lower = $true; Text = '{0:F3}' }
    [pscustomobject]@{ Target = "evaluate-dnn executed GFLOP/s >= 50% of best float32 matmul ($bestMatmulWho {0:F0} GFLOP/s)" -f $bestMatmul; Value = $achieved / $bestMatmul; Limit = 0.5; Lower = $false; Text = '{0:P0}' }
    [pscustomobject]@{ Target = "train ($SdaeEpochs SDAE epochs/layer + $Epochs fine-tuning epochs): DeepSim / PyTorch <= 1.0"; Value = $dTrain.Median / $pTrain.Median; Limit = 1.0; Lower = $true; Text = '{0:F2}' }
    [pscustomobject]@{ Target = 'evaluate-nmi: scikit-image loop / DeepSim >= 30x (per pair)'; Value = $skUs.Median / $dNmiUs; Limit = 30; Lower = $false; Text = '{0:F0}x' }
    [pscustomobject]@{ Target = 'evaluate-nmi: NumPy vectorised / DeepSim > 1 (per pair)'; Value = $npUs.Median / $dNmiUs; Limit = 1; Lower = $false; Text = '{0:F1}x' }
    [pscustomobject]@{ Target = "evaluate-nmi: max |DeepSim - scikit-image| <= 1e-6 ($cmp scores)"; Value = $maxSk; Limit = 1e-6; Lower = $true; Text = '{0:G3}' }
    [pscustomobject]@{ Target = "no stalls: max / median of $StallRuns evaluate-dnn runs <= 1.3"; Value = $stallStat.Max / $stallStat.Median; Limit = 1.3; Lower = $true; Text = '{0:F2}' }
    [pscustomobject]@{ Target = 'import + first cmdlet call < 1 s (median)'; Value = $dImport.Median; Limit = 1.0; Lower = $true; Text = '{0:F2} s' }
)
foreach ($t in $targets) { $t | Add-Member Pass ($(if ($t.Lower) { $t.Value -le $t.Limit } else { $t.Value -ge $t.Limit })) }

# ---- RESULTS.md
$cpu = (& lscpu | Where-Object { $_ -match '^Model name' }) -replace '^Model name:\s*', ''
$flags = (& lscpu | Where-Object { $_ -match '^Flags' })
$avx = @('avx2', 'avx512f', 'avx512_bf16') | Where-Object { $flags -match "\b$_\b" }
$rt = @($runs | Where-Object { $_.Workload -eq 'import' -and $_.Who -eq 'DeepSim' })[0].Result
$pt = @($runs | Where-Object { $_.Workload -eq 'import' -and $_.Who -eq 'PyTorch' })[0].Result
$skVersion = & $Python -c 'import skimage; print(skimage.__version__)'
$load = (Get-Content /proc/loadavg) -split ' ' | Select-Object -First 3
$commandLine = if ($Quick) { "bench/Invoke-Benchmarks.ps1 -Quick" } else { 'dotnet pwsh ./build.ps1 -Task Bench' }
$sb = [Text.StringBuilder]::new()
$null = $sb.AppendLine('# DeepSim benchmarks (issue 6)').AppendLine()
$null = $sb.AppendLine("Generated $([DateTime]::UtcNow.ToString('yyyy-MM-dd HH:mm')) UTC by ``$commandLine`` (bench/Invoke-Benchmarks.ps1, $Repetitions repetition(s), DeepSim and peer alternating; each DeepSim workload in a fresh pwsh, each peer in a fresh /usr/bin/python3 with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for that command only).").AppendLine()
if ($Quick) { $null = $sb.AppendLine('**Quick smoke run: 1 repetition, 2 epochs, few peer queries. Not the benchmark.**').AppendLine() }
$null = $sb.AppendLine("- Machine: $cpu, $([Environment]::ProcessorCount) cores ($($avx -join ', ')), $([math]::Round((Get-Content /proc/meminfo -TotalCount 1 | ForEach-Object { [double](($_ -replace '[^0-9]', '')) }) / 1MB)) GB; load average at the end: $($load -join ', ')")
$null = $sb.AppendLine("- DeepSim: .NET $([Environment]::Version), TorchSharp $($rt.torchSharp) (libtorch CPU, $($rt.threads) threads, OMP_WAIT_POLICY=$($rt.ompWaitPolicy)), PowerShell $($PSVersionTable.PSVersion)")
$null = $sb.AppendLine("- Peers: Debian python3-torch $(& $dpkg 'python3-torch') (torch $($pt.torch), $($pt.threads) threads) with libopenblas0-pthread $(& $dpkg 'libopenblas0-pthread'), NumPy $($pt.numpy), scikit-image $skVersion")
$null = $sb.AppendLine("- Data: $($setup.pairs) real CT/MR patch pairs 17x17 ($($setup.matches) matches, positives around the skull, seed fixed) from 10 zero-shift slices of ../shared/data/ct-mr-head; evaluation on slice 2004.png, 300 protocol centres (seed 1), R = 40 (6,561 candidates), 3x3 true region").AppendLine()
$null = $sb.AppendLine('| workload | DeepSim median [min..max] | peer | peer median [min..max] | DeepSim / peer | peak MiB DeepSim / peer |')
$null = $sb.AppendLine('|---|---|---|---|---|---|')
$null = $sb.AppendLine("| float32 matmul 4096^3 (best of 5 per process) | $(Format-Stat $tsMatmul 'F0' ' GFLOP/s') | PyTorch/OpenBLAS | $(Format-Stat $obMatmul 'F0' ' GFLOP/s') | | $(& $peak 'matmul' 'DeepSim (TorchSharp)') / $(& $peak 'matmul' 'PyTorch (OpenBLAS)') |")
$null = $sb.AppendLine("| train: SDAE ($SdaeEpochs epochs/layer) + fine-tuning ($Epochs epochs), 4,000 pairs, batch 64, Adam | $(Format-Stat $dTrain) | PyTorch (same layers, losses, batch, epochs, optimiser) | $(Format-Stat $pTrain) | $(($dTrain.Median / $pTrain.Median).ToString('F2')) | $(& $peak 'train' 'DeepSim') / $(& $peak 'train' 'PyTorch') |")
$peerNote = if ($peerQueries -lt 300) { " (measured on $peerQueries queries, x$pScale)" } else { '' }
$null = $sb.AppendLine("| evaluate-dnn float32: Measure-PredictionError, 300 x 6,561 | $(Format-Stat $dDnn) | PyTorch (unfold + concat, one forward per query)$peerNote | $(Format-Stat $pDnn) | $(($dDnn.Median / $pDnn.Median).ToString('F3')) | $(& $peak 'evaluate-dnn' 'DeepSim') / $(& $peak 'evaluate-dnn' 'PyTorch') |")
$null = $sb.AppendLine("| evaluate-dnn bfloat16 (option, not default) | $(Format-Stat $dBf16) | | | | |")
$null = $sb.AppendLine("| evaluate-nmi: NMI 32 bins per-patch range, 300 x 6,561 | $(Format-Stat $dNmi) ($($dNmiUs.ToString('F2')) us/pair) | scikit-image loop ($SkimageQueries queries) | $(Format-Stat $skUs 'F1' ' us/pair') | $(($dNmiUs / $skUs.Median).ToString('F4')) | $(& $peak 'evaluate-nmi' 'DeepSim') / $(& $peak 'evaluate-nmi' 'scikit-image loop') |")
$null = $sb.AppendLine("| | | NumPy vectorised ($NumpyQueries queries) | $(Format-Stat $npUs 'F2' ' us/pair') | $(($dNmiUs / $npUs.Median).ToString('F3')) | / $(& $peak 'evaluate-nmi' 'NumPy vectorised') |")
$null = $sb.AppendLine("| evaluate-lcc: LCC 5x5 squared, 300 x 6,561 | $(Format-Stat $dLcc) | | | | |")
$null = $sb.AppendLine("| import: cold Import-Module + first cmdlet (Import-MedicalImage) | $(Format-Stat $dImport) | python3 -c 'import torch' + first op | $(Format-Stat $pImport) | $(($dImport.Median / $pImport.Median).ToString('F2')) | $(& $peak 'import' 'DeepSim') / $(& $peak 'import' 'PyTorch') |")
$null = $sb.AppendLine("| whole process, start to exit (pwsh / python3 start-up included) | $(Format-Stat $dImportProc) | | $(Format-Stat $pImportProc) | $(($dImportProc.Median / $pImportProc.Median).ToString('F2')) | |")
$null = $sb.AppendLine("| first TorchSharp call after import (Get-DeepSimRuntime, loads libtorch) | $(Format-Stat $dTorchFirst) | | | | |").AppendLine()
$null = $sb.AppendLine('## Targets').AppendLine().AppendLine('| target | measured | result |').AppendLine('|---|---|---|')
foreach ($t in $targets) { $null = $sb.AppendLine("| $($t.Target) | $($t.Text -f $t.Value) | $(if ($t.Pass) { 'PASS' } else { 'MISS' }) |") }
$null = $sb.AppendLine().AppendLine('## Counting and checks').AppendLine()
$null = $sb.AppendLine(("- evaluate-dnn FLOPs: naive (full forward per candidate) {0:F0} GFLOP; DeepSim executes {1:F0} GFLOP (layer 1's moving half once per position of the union of the windows, not per candidate: saves {2:F0} GFLOP = {3:P0}; per-query windows would execute {4:F0}). Achieved: {5:F0} GFLOP/s executed, {6:F0} GFLOP/s naive-equivalent; best float32 matmul in this run {7:F0} GFLOP/s ({8})." -f $naiveG, $executedG, ($naiveG - $executedG), (($naiveG - $executedG) / $naiveG), ($dRun.perQueryWindowFlops / 1e9), $achieved, ($naiveG / $dDnn.Median), $bestMatmul, $bestMatmulWho))
$null = $sb.AppendLine("- Prediction errors, DeepSim float32 vs the PyTorch peer with DeepSim's trained weights, per repetition: $(($dnnMismatch | ForEach-Object { "$_" }) -join ', ') of $peerQueries queries differ. DeepSim mean error $($dRun.meanError.ToString('F1')).")
$null = $sb.AppendLine("- bfloat16 scoring vs float32 on the same 300 samples, per repetition: $(($bf16Diffs | ForEach-Object { "$_" }) -join ', ') queries with a different prediction error$(if (($bf16Diffs | Measure-Object -Maximum).Maximum -gt 0) { ' (so float32 stays the default)' } else { '' }).")
$null = $sb.AppendLine(("- NMI values: max |DeepSim - scikit-image| = {0:G3}, max |DeepSim - NumPy| = {1:G3} over the first {2} queries' 6,561 candidates (float32 output). Peer times per pair are extrapolated to 1,968,300 pairs: scikit-image {3:F0} s, NumPy {4:F1} s." -f $maxSk, $maxNp, ($cmp / 6561), ($skUs.Median * $pairsTotal / 1e6), ($npUs.Median * $pairsTotal / 1e6)))
$null = $sb.AppendLine("- Stall runs (s): $(($stall.times | ForEach-Object { $_.ToString('F2') }) -join ', ').")
$null = $sb.AppendLine('- Peak memory: VmHWM of each process (DeepSim: the whole pwsh + .NET + libtorch process).')
Set-Content -Path $ResultsPath -Value $sb.ToString() -Encoding utf8NoBOM
Write-Host "Wrote $ResultsPath" -ForegroundColor Green
Get-Content $ResultsPath | Out-Host
