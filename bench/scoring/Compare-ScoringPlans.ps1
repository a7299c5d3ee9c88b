<#
.SYNOPSIS
Issue 9's evidence: learned-metric prediction errors from the fast scoring plans equal the per-candidate reference's on
300 queries x 6,561 candidates, and are identical at 1 and 2 threads with the same model file; times per plan.

.DESCRIPTION
Trains the paper's network (578-578-300-100-2, sigmoid, 2,000 + 2,000 CT/MR pairs of 10 zero-shift slices, 10 epochs,
no pre-training: the plans are compared, not the model) once, saves it, then runs Measure-PredictionError on slice
2004 (300 centres, seed 1, R = 40) in a fresh pwsh per (threads, plan), so that OMP_NUM_THREADS takes effect.
Writes a Markdown report (machine, oneDNN ISA, self-check findings, times, error equality) to -OutputPath.

.EXAMPLE
dotnet pwsh -File bench/scoring/Compare-ScoringPlans.ps1 -ModulePath out/DeepSim/DeepSim.psd1 -DataPath ../shared/data/ct-mr-head
#>
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../out/DeepSim/DeepSim.psd1'),
    [string] $DataPath = (Join-Path $PSScriptRoot '../../../shared/data/ct-mr-head'),
    [string] $OutputPath = (Join-Path $PSScriptRoot 'PLANS.md'),
    [string] $WorkDir = (Join-Path ([IO.Path]::GetTempPath()) "deepsim-plans-$PID"),
    [string[]] $Plans = @('Auto', 'Gemm', 'Reference'),
    [int[]] $Threads = @(1, 2),
    # Internal: run one measurement in this process and print JSON.
    [string] $Child
)
$ErrorActionPreference = 'Stop'
$ModulePath = (Resolve-Path $ModulePath).Path
$DataPath = (Resolve-Path $DataPath).Path
$modelFile = Join-Path $WorkDir 'paper.dsim'
$slice = '2004.png'

if ($Child) {
    Import-Module $ModulePath
    $model = Import-SimilarityModel -Path $modelFile
    $model.Scoring = [DeepSim.Learning.ScoringOptions]@{ Kernels = $Child }
    $ct = Import-MedicalImage (Join-Path $DataPath "CT/$slice")
    $mr = Import-MedicalImage (Join-Path $DataPath "MR/$slice")
    $eval = @{ Fixed = $ct; Moving = $mr; SearchRadius = 40; Tolerance = 1; PatchSize = 17; Seed = 1 }
    $null = Measure-PredictionError -Metric $model @eval -Count 2 3>$null
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $r = Measure-PredictionError -Metric $model @eval -Count 300
    $seconds = $sw.Elapsed.TotalSeconds
    $check = [DeepSim.Learning.ScoringSelfCheck]::IfChecked
    [pscustomobject]@{
        plan = $Child; threads = [TorchSharp.torch]::get_num_threads(); seconds = $seconds; meanError = $r.MeanError
        errors = @($r.Errors | ForEach-Object Error); selfCheck = if ($check) { "$check" } else { $null }
    } | ConvertTo-Json -Compress
    return
}

New-Item -ItemType Directory -Force $WorkDir | Out-Null
$exe = [Environment]::ProcessPath
[string[]] $prefix = if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { @(Join-Path $PSHOME 'pwsh.dll') } else { @() }

Write-Host "Training the paper's network once ($WorkDir)"
& $exe @prefix -NoProfile -NonInteractive -Command "
    Import-Module '$ModulePath'
    `$names = Get-ChildItem '$DataPath/CT' -Filter '*.png' | Sort-Object Name | Select-Object -First 10 -ExpandProperty Name
    `$pairs = foreach (`$n in `$names) {
        `$ct = Import-MedicalImage (Join-Path '$DataPath/CT' `$n); `$mr = Import-MedicalImage (Join-Path '$DataPath/MR' `$n)
        Get-PatchPair -Fixed `$ct -Moving `$mr -Count 200 -Seed 1
    }
    `$pairs | Invoke-SimilarityTraining -Epochs 10 -Seed 1 -Name paper | Export-SimilarityModel -Path '$modelFile'
"
if ($LASTEXITCODE -ne 0) { throw 'training failed' }

$runs = foreach ($t in $Threads) {
    foreach ($p in $Plans) {
        if ($p -eq 'Reference' -and $t -ne $Threads[-1]) { continue } # the definition is run once
        $env:OMP_NUM_THREADS = "$t"
        Write-Host "threads $t, plan $p"
        $json = & $exe @prefix -NoProfile -NonInteractive -File $PSCommandPath -ModulePath $ModulePath -DataPath $DataPath -WorkDir $WorkDir -Child $p
        if ($LASTEXITCODE -ne 0) { throw "child ($t, $p) failed" }
        $json | Select-Object -Last 1 | ConvertFrom-Json
    }
}
Remove-Item Env:OMP_NUM_THREADS

$reference = $runs | Where-Object plan -eq 'Reference' | Select-Object -First 1
$cpu = (Get-Content /proc/cpuinfo | Select-String '^model name' | Select-Object -First 1).Line -replace '^model name\s*:\s*', ''
$flags = ((Get-Content /proc/cpuinfo | Select-String '^flags' | Select-Object -First 1).Line -split ' ' | Where-Object { $_ -match 'avx512f|avx512_bf16|avx512_vnni|avx2' }) -join ' '
$lines = @(
    '# Learned-metric scoring plans: equal answers, and their time'
    ''
    "Run $(Get-Date -AsUTC -Format 'yyyy-MM-dd HH:mm') UTC on $cpu, $([Environment]::ProcessorCount) vCPUs ($flags), load average at the end: $((Get-Content /proc/loadavg) -split ' ' | Select-Object -First 3)."
    "Command: ``dotnet pwsh -File bench/scoring/Compare-ScoringPlans.ps1 -DataPath $DataPath``"
    ''
    "The paper's network (578-578-300-100-2, sigmoid) trained once on 2,000 + 2,000 CT/MR pairs; ``Measure-PredictionError`` on slice $slice, 300 centres (seed 1), R = 40 (6,561 candidates), each row a fresh process."
    ''
    '| threads | plan | seconds | mean error | per-patch errors equal to the reference |'
    '|---:|---|---:|---:|---|'
)
foreach ($r in $runs) {
    $same = if ($reference) { $diff = 0; for ($i = 0; $i -lt $r.errors.Count; $i++) { if ($r.errors[$i] -ne $reference.errors[$i]) { $diff++ } }; if ($diff -eq 0) { 'yes (300 of 300)' } else { "NO ($diff of 300 differ)" } } else { 'n/a' }
    $lines += "| $($r.threads) | $($r.plan) | $('{0:F1}' -f $r.seconds) | $('{0:F1}' -f $r.meanError) | $same |"
}
$checks = $runs | Where-Object selfCheck | Select-Object -ExpandProperty selfCheck -Unique
$lines += ''
$lines += 'Self-check findings (Auto plan):'
$lines += $checks | ForEach-Object { "- $_" }
$lines | Set-Content -LiteralPath $OutputPath
Write-Host "Wrote $OutputPath"
Remove-Item $WorkDir -Recurse -Force
