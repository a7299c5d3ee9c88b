<#
.SYNOPSIS
3D prediction error on the MNI templates: the fully connected learned metrics and the 3D two-branch CNN on cubic
patches against NMI, LCC and the other classical measures, trained on one hemisphere and tested on the other.

.DESCRIPTION
For each MR template (avg152T1, avg152T2, avg152PD) against the CT template scct.nii (all 91x109x91, 2 mm, one grid;
CT fixed, MR moving, as in the paper):
- the volumes are split at the midline (x index 45, x = 0 mm): the TRAINING volumes are x indices 0-44 (the
  patient's right hemisphere: the NIfTI affine maps index x to -2 x + 90 mm RAS), the TEST volumes x indices 46-90
  (the left hemisphere). Each side is cropped out (MedicalImage.Crop), so training never sees a test voxel and the
  test search never reaches a training voxel;
- training: Get-PatchPair -Volumetric on the training volumes (7^3 patches, centres in the CT's Otsu foreground,
  2,000 positives), then the paper's configuration (SDAE-pretrained 686-686-300-100-2, sigmoid, random negatives,
  image-range scaling), the same network without pre-training is left out for time, the shallow 686-686-2 network
  (the best learned row in 2D), and DeepSim's improved configuration (half of the negatives near misses within 8
  voxels, z-scored patches, ReLU); and the 3D two-branch CNN (Invoke-SimilarityTraining -Volumetric on the training
  volume pair: 3x3x3 convolutions, cosine of the feature vectors + trained weight x 3D LCC, InfoNCE over each query's
  17^3 candidates, -CnnEpochs x 20 steps of 4 crops of 23^3; 'CnnCosine' is the same without the LCC term);
- test: Measure-PredictionError -Volumetric on the test volumes: -TestPatches centres (default 200) in the CT's Otsu
  foreground, each searched over the 17^3 = 4,913 candidate cubes within 8 voxels, tolerance 1 (3x3x3 true region).
Writes results.md (per modality and per metric: mean / median / std / hit rate with 95 % percentile bootstrap
intervals over the test patches), errors.csv (every patch's error), config.json and run.txt (timings and uptime).

.EXAMPLE
dotnet pwsh -File bench/learning3d/Measure-Learned3D.ps1 -OutputPath ./out/learned3d -Seed 1
The full run recorded in bench/learning3d/RESULTS.md.

.EXAMPLE
dotnet pwsh -File bench/learning3d/Measure-Learned3D.ps1 -Smoke -OutputPath ./out/learned3d-smoke
A minute-long run of the same code path (T1 only, tiny training, 10 test patches): checks the script, not the metrics.
#>
[CmdletBinding()]
param(
    [string] $DataPath = (Join-Path $PSScriptRoot '../../../shared/data/mni-templates-3d'),
    [string] $OutputPath = './out/learned3d',
    [int] $Seed = 1,
    [ValidateSet('T1', 'T2', 'PD')]
    [string[]] $Modalities = @('T1', 'T2', 'PD'),
    [int] $TestPatches = 200,
    [int] $Positives = 2000,
    [string[]] $Classical = @('NMI', 'MI', 'LCC', 'NCC', 'CorrelationRatio'),
    # Which learned configurations to train: Paper (SDAE-pretrained 686-686-300-100-2), Shallow (686-686-2), Improved,
    # Cnn (the 3D two-branch CNN with the LCC anchor, Invoke-SimilarityTraining -Volumetric), CnnCosine (without the anchor).
    [ValidateSet('Paper', 'Shallow', 'Improved', 'Cnn', 'CnnCosine')]
    [string[]] $Configurations = @('Paper', 'Shallow', 'Improved', 'Cnn'),
    # CNN: epochs of 20 steps (each 4 crops of 23^3 x 16 queries).
    [int] $CnnEpochs = 10,
    [switch] $Smoke,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../out/DeepSim/DeepSim.psd1')
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
Import-Module $ModulePath -Force
$clock = [System.Diagnostics.Stopwatch]::StartNew()
$uptimeStart = (& uptime) -join ' '

$config = [ordered]@{
    Seed = $Seed; Mode = if ($Smoke) { 'smoke' } else { 'full' }
    PatchSize = 7; Positives = $Positives; Region = 'Foreground'
    SdaeLayers = @(686, 300, 100); SdaeEpochsPerLayer = 20; Corruption = 'Masking'; CorruptionLevel = 0.2
    SparsityTarget = 0.05; SparsityWeight = 0.1; WeightDecay = 1e-4
    HiddenLayers = @(686, 300, 100); ShallowHiddenLayers = @(686); Epochs = 30; BatchSize = 64; LearningRate = 1e-3
    ValidationFraction = 0.2; EarlyStoppingPatience = 5
    ImprovedNegativeRadius = 8; ImprovedNormalization = 'PatchZScore'; ImprovedActivation = 'Relu'
    CnnEpochs = $CnnEpochs; CnnStepsPerEpoch = 20; CnnDefaults = 'Invoke-SimilarityTraining -Volumetric (FeatureTrainingOptions.Volumetric)'
    TestPatches = $TestPatches; SearchRadius = 8; Tolerance = 1; Bins = 32; HistogramRange = 'Image'; LccWindowRadius = 2
    Midline = 45; TrainX = '0-44 (right hemisphere)'; TestX = '46-90 (left hemisphere)'; BootstrapResamples = 2000
    Modalities = $Modalities; Classical = $Classical; Configurations = $Configurations
}
if ($Smoke) { $Modalities = @('T1'); $config.Modalities = $Modalities; $config.Positives = 100; $config.SdaeEpochsPerLayer = 1; $config.Epochs = 2; $config.TestPatches = 10; $config.BootstrapResamples = 200; $config.CnnEpochs = 1; $config.CnnStepsPerEpoch = 2 }

New-Item -ItemType Directory -Force -Path $OutputPath | Out-Null
$ct = Import-MedicalImage (Join-Path $DataPath 'scct.nii')
$mid = $config.Midline
function Split-Hemispheres([DeepSim.Imaging.MedicalImage] $Image) {
    # Training: x indices 0 .. mid-1; test: mid+1 .. end. The midline column itself is in neither.
    [pscustomobject]@{
        Train = $Image.Crop(0, 0, 0, $mid, $Image.SizeY, $Image.SizeZ)
        Test = $Image.Crop($mid + 1, 0, 0, $Image.SizeX - $mid - 1, $Image.SizeY, $Image.SizeZ)
    }
}
$ctSides = Split-Hemispheres $ct

$rows = [System.Collections.Generic.List[object]]::new()
$errors = [System.Collections.Generic.List[object]]::new()
$timings = [System.Collections.Generic.List[string]]::new()
foreach ($modality in $Modalities) {
    $mr = Import-MedicalImage (Join-Path $DataPath "avg152$modality.nii")
    $mrSides = Split-Hemispheres $mr
    Write-Host "`n== CT / $($modality): training on x 0-$($mid - 1), testing on x $($mid + 1)-$($ct.SizeX - 1)"

    $t = [System.Diagnostics.Stopwatch]::StartNew()
    $sampling = @{ Fixed = $ctSides.Train; Moving = $mrSides.Train; Volumetric = $true; PatchSize = $config.PatchSize; Region = $config.Region }
    $fc = @($Configurations | Where-Object { $_ -notlike 'Cnn*' })
    $paperPairs = if ($fc.Count -gt 0) { @(Get-PatchPair @sampling -Count $config.Positives -Seed ($Seed + 11)) } else { @() }
    $half = [int][Math]::Ceiling($config.Positives / 2)
    $hardPairs = if ('Improved' -notin $Configurations) { @() } else { @(@(Get-PatchPair @sampling -Count $half -Seed ($Seed + 12) -NegativeSampling Neighbourhood -NegativeRadius $config.ImprovedNegativeRadius) +
        @(Get-PatchPair @sampling -Count ($config.Positives - $half) -Seed ($Seed + 13))) }
    $sdaeArgs = @{ LayerSizes = $config.SdaeLayers; EpochsPerLayer = $config.SdaeEpochsPerLayer; Corruption = $config.Corruption; CorruptionLevel = $config.CorruptionLevel
        SparsityTarget = $config.SparsityTarget; SparsityWeight = $config.SparsityWeight; WeightDecay = $config.WeightDecay; Seed = $Seed }
    $trainArgs = @{ Epochs = $config.Epochs; BatchSize = $config.BatchSize; LearningRate = $config.LearningRate; ValidationFraction = $config.ValidationFraction
        EarlyStoppingPatience = $config.EarlyStoppingPatience; Seed = $Seed; Preset = 'Paper' }
    $models = @(
        if ('Paper' -in $Configurations) {
            $sdae = $paperPairs | Invoke-SdaePretrain @sdaeArgs
            $paperPairs | Invoke-SimilarityTraining @trainArgs -Pretrained $sdae -HiddenLayerSizes $config.HiddenLayers -Name 'FC paper (SDAE) 3D'
        }
        if ('Shallow' -in $Configurations) { $paperPairs | Invoke-SimilarityTraining @trainArgs -HiddenLayerSizes $config.ShallowHiddenLayers -Name 'FC shallow 686-686-2 3D' }
        if ('Improved' -in $Configurations) { $hardPairs | Invoke-SimilarityTraining @trainArgs -HiddenLayerSizes $config.HiddenLayers -Activation $config.ImprovedActivation -Normalization $config.ImprovedNormalization -Name 'FC improved 3D' }
    )
    $trainSeconds = $t.Elapsed.TotalSeconds
    $volumes = [pscustomobject]@{ Fixed = $ctSides.Train; Moving = $mrSides.Train }
    $cnnArgs = @{ Volumetric = $true; Epochs = $config.CnnEpochs; StepsPerEpoch = $config.CnnStepsPerEpoch; Seed = $Seed }
    foreach ($kind in @('Cnn', 'CnnCosine')) {
        if ($kind -notin $Configurations) { continue }
        $t.Restart()
        $cnn = if ($kind -eq 'Cnn') { $volumes | Invoke-SimilarityTraining @cnnArgs -Name 'CNN 3D (cosine + LCC anchor)' }
        else { $volumes | Invoke-SimilarityTraining @cnnArgs -Anchor None -Name 'CNN 3D (cosine only)' }
        $line = "CT/$($modality): $($cnn.Name) trained in {0:F0} s ({1} steps); uptime after: {2}" -f $t.Elapsed.TotalSeconds, ($config.CnnEpochs * $config.CnnStepsPerEpoch), ((& uptime) -join ' ')
        Write-Host $line
        $timings.Add($line)
        Write-Host ("  {0}: final epoch loss {1:F3}, top-1 accuracy {2:P1}, anchor weight {3:G3}" -f $cnn.Name, $cnn.History[-1].TrainLoss, $cnn.History[-1].TrainAccuracy, $cnn.AnchorWeight)
        $models += $cnn
    }

    foreach ($m in @($models | Where-Object { $_ -is [DeepSim.Learning.SimilarityModel] })) {
        $best = $m.History[$m.BestEpoch - 1]
        Write-Host ("  {0}: {1}, best epoch {2}, validation accuracy {3:P1}" -f $m.Name, ($m.LayerSizes -join '-'), $m.BestEpoch, $best.ValidationAccuracy)
    }

    $t.Restart()
    $evalArgs = @{ Fixed = $ctSides.Test; Moving = $mrSides.Test; Volumetric = $true; PatchSize = $config.PatchSize; SearchRadius = $config.SearchRadius
        Tolerance = $config.Tolerance; Count = $config.TestPatches; Seed = $Seed + 7; Region = $config.Region; Bins = $config.Bins
        HistogramRange = $config.HistogramRange; LccWindowRadius = $config.LccWindowRadius; SourceName = "CT/$modality left hemisphere" }
    $results = @(Measure-PredictionError -Metric (@($models) + $Classical) @evalArgs)
    $evalSeconds = $t.Elapsed.TotalSeconds
    $line = "CT/$($modality): training {0:F0} s ($($Configurations -join ', ')), evaluation {1:F0} s ({2} metrics x {3} patches x 4,913 candidates); uptime after: {4}" -f $trainSeconds, $evalSeconds, $results.Count, $config.TestPatches, ((& uptime) -join ' ')
    Write-Host $line
    $timings.Add($line)
    $results | Format-Table Metric, Count, MeanError, MedianError, HitRate -AutoSize | Out-Host

    foreach ($r in $results) {
        $b = [DeepSim.Evaluation.BootstrapInterval]::Compute($r, $config.BootstrapResamples, $Seed, 0.95)
        $rows.Add([pscustomobject]@{ Modality = $modality; Metric = $r.Metric; Count = $r.Count; Bootstrap = $b })
        foreach ($e in $r.Errors) {
            # Centres in the full volume's indices: test x = crop x + mid + 1.
            $errors.Add([pscustomobject]@{ Modality = $modality; Metric = $r.Metric; X = $e.Center.X + $mid + 1; Y = $e.Center.Y; Z = $e.Center.Z; Error = $e.Error
                BestDx = $e.BestOffset.Dx; BestDy = $e.BestOffset.Dy; BestDz = $e.BestOffset.Dz })
        }
    }
}

function Format-Interval($ci, [string] $format, [double] $scale = 1) {
    $f = "{0:$format} [{1:$format}, {2:$format}]"
    [string]::Format([Globalization.CultureInfo]::InvariantCulture, $f, $ci.Estimate * $scale, $ci.Lower * $scale, $ci.Upper * $scale)
}
$md = [System.Text.StringBuilder]::new()
[void]$md.AppendLine('| Modality | Metric | n | Mean error [95% CI] | Median [95% CI] | Std [95% CI] | Hit rate % [95% CI] |')
[void]$md.AppendLine('|---|---|---:|---|---|---|---|')
foreach ($row in $rows) {
    $b = $row.Bootstrap
    [void]$md.AppendLine("| CT/$($row.Modality) | $($row.Metric) | $($row.Count) | $(Format-Interval $b.Mean 'F0') | $(Format-Interval $b.Median 'F0') | $(Format-Interval $b.Std 'F0') | $(Format-Interval $b.HitRate 'F1' 100) |")
}
$total = $clock.Elapsed.TotalSeconds
[void]$md.AppendLine()
[void]$md.AppendLine(("Total {0:F0} s. Uptime at the start: {1}" -f $total, $uptimeStart))
foreach ($l in $timings) { [void]$md.AppendLine("- $l") }
Set-Content -Path (Join-Path $OutputPath 'results.md') -Value $md.ToString()
$errors | Export-Csv -Path (Join-Path $OutputPath 'errors.csv') -NoTypeInformation
$config | ConvertTo-Json -Depth 4 | Set-Content -Path (Join-Path $OutputPath 'config.json')
Write-Host "`n$($md.ToString())"
