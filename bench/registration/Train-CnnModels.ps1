# Trains the two CNN metrics (Invoke-SimilarityTraining's defaults: the LCC-anchored two-branch CNN, 600 steps) that
# the registration bench runs with -Metric <model>, and saves them:
#   case 1: on the aligned T1/PD slice pair (as a user with that pair would);
#   case 2: on the aligned CT/MR pairs of patients (groups) 21 and 37 only - none of the 16 pairs the case-2 bench
#           moves (groups 16, 20, 28, 32, 34) - so case 2 measures the model on unseen patients.
# Usage: OMP_NUM_THREADS=1 nice -n 10 dotnet pwsh bench/registration/Train-CnnModels.ps1 [-Which 1, 2] [-OutDir /tmp]
param(
    [int[]] $Which = @(1, 2),
    [string] $OutDir = [IO.Path]::GetTempPath(),
    [string] $DataPath = (Join-Path $PSScriptRoot '../../../shared/data'),
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../out/DeepSim/DeepSim.psd1')
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force
$env:OMP_NUM_THREADS = '1'
function Measure-Training([string] $Name, [scriptblock] $Pairs, [string] $Path) {
    $cpu0 = [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalSeconds
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $p = @(& $Pairs)
    $model = $p | Invoke-SimilarityTraining -Seed 1 -Name $Name
    $model | Export-SimilarityModel -Path $Path -Force
    '{0}: {1} pairs, {2:F0} s wall, {3:F0} s CPU, load {4}; {5} -> {6}' -f $Name, $p.Count, $clock.Elapsed.TotalSeconds,
        ([Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalSeconds - $cpu0), ((Get-Content /proc/loadavg) -split ' ')[0], $model, $Path
}
if (1 -in $Which) {
    $slices = Join-Path $DataPath 'mr-t1-pd-slice'
    Measure-Training 'cnn-T1PD' {
        [pscustomobject]@{ Fixed = Import-MedicalImage (Join-Path $slices 'BrainT1SliceBorder20.png'); Moving = Import-MedicalImage (Join-Path $slices 'BrainProtonDensitySliceBorder20.png') }
    } (Join-Path $OutDir 'cnn-t1pd.dsim')
}
if (2 -in $Which) {
    $ctmr = Join-Path $DataPath 'ct-mr-head'
    Measure-Training 'cnn-ctmr-g21g37' {
        Import-ImagePair -FixedPath (Join-Path $ctmr 'CT') -MovingPath (Join-Path $ctmr 'MR') -Align | Where-Object { $_.Group -in '21', '37' }
    } (Join-Path $OutDir 'cnn-ctmr.dsim')
}
