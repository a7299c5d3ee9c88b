<#
.SYNOPSIS
Times the CNN's unsupervised convolutional pre-training alone: N pre-training steps plus one supervised step against
the supervised step alone (the difference is the pre-training), on the CT/MR pairs outside one held-out group.
Run with OMP_NUM_THREADS=1 for the single-threaded figure and record `uptime` beside it.
#>
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../out/DeepSim/DeepSim.psd1'),
    [string] $DataPath = (Join-Path $PSScriptRoot '../../../shared/data/ct-mr-head'),
    [int] $PretrainSteps = 300,
    [string] $HeldOut = '16'
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
Import-Module $ModulePath -Force
# The step time does not depend on the number of pairs (each step samples a fixed number of crops), so no alignment.
$pairs = @(Import-ImagePair -FixedPath (Join-Path $DataPath 'CT') -MovingPath (Join-Path $DataPath 'MR') | Where-Object { $_.Group -ne $HeldOut })
foreach ($steps in 0, $PretrainSteps) {
    $o = [DeepSim.Learning.FeatureTrainingOptions]@{ Anchor = 'Lcc'; PretrainSteps = $steps; Epochs = 1; StepsPerEpoch = 1; Seed = 1 }
    $t = [Diagnostics.Stopwatch]::StartNew()
    $null = [DeepSim.Learning.FeatureSimilarityTrainer]::Train([DeepSim.Imaging.ImagePair[]]$pairs, $o, $null, [Threading.CancellationToken]::None, 'timing')
    $t.Stop()
    "{0} pairs, PretrainSteps {1} + 1 supervised step: {2:N1} s  ({3})" -f $pairs.Count, $steps, $t.Elapsed.TotalSeconds, (Get-Content /proc/loadavg)
}
