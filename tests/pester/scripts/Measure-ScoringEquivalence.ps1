<#
.SYNOPSIS
Child process of ScoringEquivalence.Tests.ps1: in a process whose OMP_NUM_THREADS / ONEDNN_MAX_CPU_ISA the parent chose,
measures every fast scoring plan against the reference and runs Measure-PredictionError with a model file on self-made
images; prints one JSON object.
#>
param([Parameter(Mandatory)] [string] $ModuleManifest, [Parameter(Mandatory)] [string] $ModelPath)
$ErrorActionPreference = 'Stop'
Import-Module $ModuleManifest
. (Join-Path $PSScriptRoot 'New-SyntheticPair.ps1')
$runtime = Get-DeepSimRuntime 3>$null
$pair = New-SyntheticPair -Width 112 -Height 104 -Seed 4
$model = Import-SimilarityModel -Path $ModelPath
$result = Measure-PredictionError -Metric $model -Fixed $pair.Fixed -Moving $pair.Moving -Region All -Count 25 -SearchRadius 12 -Seed 2
[pscustomobject]@{
    Threads        = $runtime.Threads
    Isa            = $runtime.ScoringCheck.OneDnnMaxCpuIsa
    Plan           = "$($runtime.ScoringCheck.Plan)"
    Findings       = @($runtime.ScoringCheck.Findings)
    Convolution    = [DeepSim.Learning.ScoringSelfCheck]::MeasureDeviation('Convolution')
    Gemm           = [DeepSim.Learning.ScoringSelfCheck]::MeasureDeviation('Gemm')
    Errors         = @($result.Errors | ForEach-Object Error)
} | ConvertTo-Json -Compress
