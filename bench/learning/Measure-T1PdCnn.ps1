<#
.SYNOPSIS
The two-branch CNN on ITK's aligned T1/PD slice (../shared/data/mr-t1-pd-slice) beside the classical measures, with
exactly Reproduce-Paper.ps1's T1/PD protocol: the CNN trains on the upper halves of both images only, 300 test
centres in the lower half's foreground, search radius 40, tolerance 1, seed Seed + 7.

.EXAMPLE
dotnet pwsh -File bench/learning/Measure-T1PdCnn.ps1 -OutputPath ./out/t1pd-cnn
The default configuration (Invoke-SimilarityTraining's defaults on image pairs) against NMI, MI, LCC, NCC, CR.

.EXAMPLE
dotnet pwsh -File bench/learning/Measure-T1PdCnn.ps1 -Training @{ FeatureNormalization = 'ImageRange' } -OutputPath ./out/t1pd-range
The same with range-scaled input.
#>
[CmdletBinding()]
param(
    [string] $DataPath = (Join-Path $PSScriptRoot '../../../shared/data/mr-t1-pd-slice'),
    [string] $OutputPath = './out/t1pd-cnn',
    [int] $Seed = 1,
    # Extra Invoke-SimilarityTraining parameters.
    [hashtable] $Training = @{},
    # Cnn (default) or Fc578: the 578-578-2 network with the paper's image-pair sampling and 30 epochs (-Preset Paper
    # -HiddenLayerSizes 578 -Epochs 30), also trained on the upper halves only.
    [ValidateSet('Cnn', 'Fc578')] [string] $Preset = 'Cnn',
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../out/DeepSim/DeepSim.psd1')
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
Import-Module $ModulePath -Force
New-Item -ItemType Directory -Force -Path $OutputPath | Out-Null
$t1 = Import-MedicalImage (Join-Path $DataPath 'BrainT1Slice.png')
$pd = Import-MedicalImage (Join-Path $DataPath 'BrainProtonDensitySlice.png')
$pair = [DeepSim.Imaging.ImagePair]::new('BrainT1/PD', $t1, $pd)
function New-HalfMask([DeepSim.Imaging.MedicalImage] $Image, [bool] $Upper) {
    $v = [float[]]::new($Image.SizeX * $Image.SizeY)
    $fg = [DeepSim.Patches.RegionOfInterest]::Create($Image, 'Foreground', $null, 0)
    for ($y = 0; $y -lt $Image.SizeY; $y++) {
        if (($y -lt $Image.SizeY / 2) -ne $Upper) { continue }
        for ($x = 0; $x -lt $Image.SizeX; $x++) { if ($fg.Contains($x, $y, 0)) { $v[$x + $Image.SizeX * $y] = 1 } }
    }
    [DeepSim.Imaging.MedicalImage]::new($v, $Image.SizeX, $Image.SizeY, 1, $Image.Geometry, $null, $null, 'memory', $null)
}
function Get-UpperHalf([DeepSim.Imaging.MedicalImage] $Image) {
    $h = [int][Math]::Floor($Image.SizeY / 2)
    $v = [float[]]::new($Image.SizeX * $h)
    [Array]::Copy($Image.GetVoxels(), $v, $v.Length)
    [DeepSim.Imaging.MedicalImage]::new($v, $Image.SizeX, $h, 1, $Image.Geometry, $null, $null, 'memory', $null)
}
$testMask = New-HalfMask $t1 $false
$upper = [DeepSim.Imaging.ImagePair]::new('BrainT1/PD upper half', (Get-UpperHalf $t1), (Get-UpperHalf $pd))
$load = ((Get-Content /proc/loadavg) -split ' ')[0]
$t = [Diagnostics.Stopwatch]::StartNew()
$model = if ($Preset -eq 'Cnn') { $upper | Invoke-SimilarityTraining -Preset Cnn @Training -Seed $Seed -Name 'DeepSim CNN' }
else { $upper | Invoke-SimilarityTraining -Preset Paper -HiddenLayerSizes 578 -Epochs 30 @Training -Seed $Seed -Name '578-578-2' }
$t.Stop()
Write-Host ("training {0:N0} s (load average {1}), last epoch loss {2:N3}, accuracy {3:P1}" -f $t.Elapsed.TotalSeconds, $load, $model.History[-1].TrainLoss, $model.History[-1].TrainAccuracy)
$evalArgs = @{ Metric = @($model, 'NMI', 'MI', 'LCC', 'NCC', 'CorrelationRatio'); Count = 300; SearchRadius = 40; Tolerance = 1; Seed = $Seed + 7
    Bins = 32; HistogramRange = 'Image'; LccWindowRadius = 2; PatchSize = 17; Pool = $true; SourceName = 'T1/PD (lower half)'; Mask = $testMask }
$results = @($pair | Measure-PredictionError @evalArgs)
$results | Format-Table Metric, Count, MeanError, MedianError, HitRate -AutoSize | Out-String | Write-Host
$results | Select-Object Metric, Count, MeanError, MedianError, HitRate | Export-Csv (Join-Path $OutputPath 't1pd.csv') -NoTypeInformation
@{ Seed = $Seed; Preset = $Preset; Training = $Training; TrainSeconds = [Math]::Round($t.Elapsed.TotalSeconds, 1); LoadAverage = $load } | ConvertTo-Json | Set-Content (Join-Path $OutputPath 'config.json')
