<#
.SYNOPSIS
Reproduces "Deep similarity learning for multimodal medical images" (Cheng, Zhang, Zheng) on real head CT/MR with
DeepSim, on patients the models have never seen, against NMI, MI, LCC, NCC and the correlation ratio.

.DESCRIPTION
Read it top to bottom as an example of the module. It
  1. reads co-registered CT/MR slice pairs (CT/ and MR/ folders sharing file names), corrects each pair's residual
     misalignment with DeepSim's own integer-translation MI alignment and excludes pairs whose MI peak lies on the
     edge of the +-8 px search (unreliable), recording every shift;
  2. splits by patient group (the first two digits of the file name) and runs leave-one-group-out: every group is
     held out once, the models are trained on the other groups only;
  3. per fold trains the paper's configuration (17x17 patches, 2,000 positives around the skull + 2,000 random
     negatives, SDAE-pretrained 578-578-300-100-2, sigmoid units), its ablations (no pre-training; a shallower
     network), and DeepSim's improved configuration (half the negatives are near misses from the search
     neighbourhood, patches z-scored, ReLU units, same 578-578-300-100-2 network), and DeepSim's two-branch CNN
     (Invoke-SimilarityTraining -Preset Cnn: dense features per modality, score = their cosine + a trained weight
     x LCC + a trained weight x the cosine of a 69x69 context view at 1/4 resolution, softmax over the search neighbourhood, augmented crops sampled on the fly from the training images),
     then measures the prediction
     error (300 patches, search radius 40, tolerance 1) of every learned and classical metric on the held-out group;
  4. writes, into -OutputPath: the table (Markdown and CSV; mean, median, std, hit rate with 95% bootstrap CIs, per
     held-out group and pooled), figures (error distributions, training curves, similarity maps), the alignment
     table and the exact configuration. Everything is written to a staging folder that replaces -OutputPath only
     when the run completes, so an interrupted run leaves nothing half-written.
With a folder holding ITK's aligned BrainT1Slice.png / BrainProtonDensitySlice.png instead (the default data of a
machine without ../shared), the single T1/PD pair is split spatially: training patches from the upper half, test
patches from the lower half.

.EXAMPLE
./examples/Reproduce-Paper.ps1 -DataPath ../shared/data/ct-mr-head -OutputPath ./paper -Seed 1
The full experiment (about 15 minutes on 2 cores).

.EXAMPLE
./examples/Reproduce-Paper.ps1 -Fast -OutputPath ./paper-fast
A few minutes: two folds, fewer epochs and patches.
#>
[CmdletBinding()]
param(
    # Folder with CT/ and MR/ sub-folders, or with ITK's BrainT1Slice.png and BrainProtonDensitySlice.png. Default: examples/Get-DefaultDemoData.ps1.
    [string] $DataPath,
    # Where the report goes (replaced at the end of a successful run).
    [string] $OutputPath = './paper-output',
    # One seed for everything: sampling, initial weights, shuffling, evaluation centres, bootstrap.
    [int] $Seed = 1,
    # A quick run: two held-out groups, fewer epochs and patches. The protocol itself (radius 40, tolerance 1) is unchanged.
    [switch] $Fast,
    # The fastest run, for tests: one held-out group, tiny epochs and patch counts.
    [switch] $Smoke,
    # The module to use (default: the build output next to this script).
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/DeepSim/DeepSim.psd1')
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
Import-Module $ModulePath -Force
$clock = [System.Diagnostics.Stopwatch]::StartNew()

# ---- Configuration: the paper's, with the run size reduced in fast/smoke mode -----------------------------------
$config = [ordered]@{
    Seed = $Seed; Mode = if ($Smoke) { 'smoke' } elseif ($Fast) { 'fast' } else { 'full' }
    PatchSize = 17; Positives = 2000; Region = 'Skull'; DilationRadius = 3
    SdaeLayers = @(578, 300, 100); SdaeEpochsPerLayer = 20; Corruption = 'Masking'; CorruptionLevel = 0.2
    SparsityTarget = 0.05; SparsityWeight = 0.1; WeightDecay = 1e-4
    HiddenLayers = @(578, 300, 100); ShallowHiddenLayers = @(578); Epochs = 30; BatchSize = 64; LearningRate = 1e-3
    ValidationFraction = 0.2; EarlyStoppingPatience = 5
    ImprovedNegatives = 'half Random, half Neighbourhood'; ImprovedNegativeRadius = 40; ImprovedNormalization = 'PatchZScore'; ImprovedActivation = 'Relu'
    TestPatches = 300; SearchRadius = 40; Tolerance = 1; Bins = 32; HistogramRange = 'Image'; LccWindowRadius = 2
    MaxShift = 8; Folds = 0; BootstrapResamples = 2000
    CnnEpochs = 30; CnnStepsPerEpoch = 20
}
if ($Fast) { $config.Positives = 1000; $config.SdaeEpochsPerLayer = 8; $config.Epochs = 12; $config.TestPatches = 150; $config.Folds = 2; $config.CnnEpochs = 5 }
if ($Smoke) { $config.Positives = 200; $config.SdaeEpochsPerLayer = 2; $config.Epochs = 3; $config.TestPatches = 20; $config.Folds = 1; $config.BootstrapResamples = 200; $config.CnnEpochs = 1; $config.CnnStepsPerEpoch = 3 }

# ---- Data ----------------------------------------------------------------------------------------------------------
if (-not $DataPath) { $DataPath = & (Join-Path $PSScriptRoot 'Get-DefaultDemoData.ps1') }
$DataPath = (Resolve-Path $DataPath).Path
$parent = (New-Item -ItemType Directory -Force -Path (Split-Path -Parent ([System.IO.Path]::GetFullPath($OutputPath)))).FullName
# A run killed outright (not Ctrl+C) cannot clean up after itself: remove its staging folder now.
Get-ChildItem -LiteralPath $parent -Directory -Force -Filter ".$(Split-Path -Leaf $OutputPath).partial-*" | Remove-Item -Recurse -Force
$staging = "$parent/.$(Split-Path -Leaf $OutputPath).partial-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
New-Item -ItemType Directory -Path $staging, "$staging/figures", "$staging/maps" | Out-Null

try {
    $alignment = @()
    if (Test-Path (Join-Path $DataPath 'CT')) {
        Write-Host "Reading CT/MR pairs from $DataPath and aligning each MR to its CT (integer translation, MI, +-$($config.MaxShift) px) ..."
        $pairs = @(Import-ImagePair -FixedPath (Join-Path $DataPath 'CT') -MovingPath (Join-Path $DataPath 'MR') -Align -MaxShift $config.MaxShift)
        $alignment = $pairs | ForEach-Object { [pscustomobject]@{ Name = $_.Name; Group = $_.Group; Dx = $_.Shift.Dx; Dy = $_.Shift.Dy; AtSearchBorder = $_.Shift.AtSearchBorder } }
        $excluded = @($pairs | Where-Object { $_.Shift.AtSearchBorder })
        $pairs = @($pairs | Where-Object { -not $_.Shift.AtSearchBorder })
        $corrected = @($alignment | Where-Object { -not $_.AtSearchBorder -and ([Math]::Abs($_.Dx) + [Math]::Abs($_.Dy)) -gt 0 })
        Write-Host ("{0} pairs: {1} shifted by DeepSim's alignment, {2} excluded (MI peak on the +-{3} px search edge)." -f ($pairs.Count + $excluded.Count), $corrected.Count, $excluded.Count, $config.MaxShift)
        $groups = @($pairs | Group-Object Group | Sort-Object Name)
        $folds = @(if ($config.Folds -gt 0) { $groups | Select-Object -First $config.Folds } else { $groups })
        $split = 'leave-one-group-out by patient group (first two digits of the file name)'
        $trainMask = $null; $testMask = $null
    } else {
        $t1 = Import-MedicalImage (Join-Path $DataPath 'BrainT1Slice.png')
        $pd = Import-MedicalImage (Join-Path $DataPath 'BrainProtonDensitySlice.png')
        $pairs = @([DeepSim.Imaging.ImagePair]::new('BrainT1/PD', $t1, $pd))
        $folds = @([pscustomobject]@{ Name = 'T1/PD (lower half)'; Group = $pairs })
        $config.Region = 'Foreground'
        $split = 'one T1/PD pair split spatially: training centres in the upper half, test centres in the lower half'
        function New-HalfMask([DeepSim.Imaging.MedicalImage] $Image, [bool] $Upper) {
            $v = [float[]]::new($Image.SizeX * $Image.SizeY)
            $fg = [DeepSim.Patches.RegionOfInterest]::Create($Image, 'Foreground', $null, 0)
            for ($y = 0; $y -lt $Image.SizeY; $y++) {
                if (($y -lt $Image.SizeY / 2) -ne $Upper) { continue }
                for ($x = 0; $x -lt $Image.SizeX; $x++) { if ($fg.Contains($x, $y, 0)) { $v[$x + $Image.SizeX * $y] = 1 } }
            }
            [DeepSim.Imaging.MedicalImage]::new($v, $Image.SizeX, $Image.SizeY, 1, $Image.Geometry, $null, $null, 'memory', $null)
        }
        $trainMask = New-HalfMask $t1 $true
        $testMask = New-HalfMask $t1 $false
        # The CNN learns from whole images: give it the upper halves only, so that it never sees the test half.
        function Get-UpperHalf([DeepSim.Imaging.MedicalImage] $Image) {
            $h = [int][Math]::Floor($Image.SizeY / 2)
            $v = [float[]]::new($Image.SizeX * $h)
            [Array]::Copy($Image.GetVoxels(), $v, $v.Length)
            [DeepSim.Imaging.MedicalImage]::new($v, $Image.SizeX, $h, 1, $Image.Geometry, $null, $null, 'memory', $null)
        }
        $cnnTrain = @([DeepSim.Imaging.ImagePair]::new('BrainT1/PD upper half', (Get-UpperHalf $t1), (Get-UpperHalf $pd)))
    }
    $config.Split = $split
    $config.DataPath = $DataPath

    # ---- Leave-one-group-out -------------------------------------------------------------------------------------
    $results = [System.Collections.Generic.List[object]]::new()
    $curves = [System.Collections.Generic.List[object]]::new()
    $foldIndex = 0
    foreach ($fold in $folds) {
        $foldIndex++
        $test = @($fold.Group)
        $train = @(if ($trainMask) { $pairs } else { $pairs | Where-Object { $_.Group -ne $fold.Name } })
        $cnnImages = @(if ($trainMask) { $cnnTrain } else { $train })
        $activity = "Reproduce-Paper: fold $foldIndex of $($folds.Count), held out: $($fold.Name)"
        Write-Progress -Id 1 -Activity $activity -Status 'sampling patch pairs' -PercentComplete (100 * ($foldIndex - 1) / $folds.Count)
        Write-Host "`n== Fold $foldIndex/$($folds.Count): held out $($fold.Name) ($($test.Count) pair(s)); training on $($train.Count) pair(s)"

        # The paper: Count positives around the skull, one random negative each, spread over the training slices.
        $perPair = [Math]::Ceiling($config.Positives / $train.Count)
        $sampling = @{ PatchSize = $config.PatchSize; Count = $perPair; Seed = $Seed + 1000 * $foldIndex; DilationRadius = $config.DilationRadius }
        if ($trainMask) { $sampling.Mask = $trainMask } else { $sampling.Region = $config.Region }
        $paperPairs = @($train | Get-PatchPair @sampling | Select-Object -First (2 * $config.Positives))
        # DeepSim's improvement: half of the negatives are near misses from the search neighbourhood (the protocol
        # punishes exactly those), patches are z-scored (robust to each scan's intensity scale), ReLU units.
        $half = [Math]::Ceiling($config.Positives / 2)
        $hardSampling = $sampling.Clone(); $hardSampling.Count = [Math]::Ceiling($half / $train.Count); $hardSampling.Seed = $Seed + 1000 * $foldIndex + 500
        $randomSampling = $hardSampling.Clone(); $randomSampling.Seed = $Seed + 1000 * $foldIndex + 501
        $hardPairs = @(@($train | Get-PatchPair @hardSampling -NegativeSampling Neighbourhood -NegativeRadius $config.ImprovedNegativeRadius | Select-Object -First (2 * $half)) +
            @($train | Get-PatchPair @randomSampling | Select-Object -First (2 * ($config.Positives - $half))))

        Write-Progress -Id 1 -Activity $activity -Status 'SDAE pre-training' -PercentComplete (100 * ($foldIndex - 0.8) / $folds.Count)
        $sdaeArgs = @{ LayerSizes = $config.SdaeLayers; EpochsPerLayer = $config.SdaeEpochsPerLayer; Corruption = $config.Corruption; CorruptionLevel = $config.CorruptionLevel
            SparsityTarget = $config.SparsityTarget; SparsityWeight = $config.SparsityWeight; WeightDecay = $config.WeightDecay; Seed = $Seed }
        $trainArgs = @{ Epochs = $config.Epochs; BatchSize = $config.BatchSize; LearningRate = $config.LearningRate; ValidationFraction = $config.ValidationFraction
            EarlyStoppingPatience = $config.EarlyStoppingPatience; Seed = $Seed }
        $sdae = $paperPairs | Invoke-SdaePretrain @sdaeArgs

        Write-Progress -Id 1 -Activity $activity -Status 'training the similarity networks' -PercentComplete (100 * ($foldIndex - 0.6) / $folds.Count)
        $models = @(
            $paperPairs | Invoke-SimilarityTraining @trainArgs -Preset Paper -Pretrained $sdae -HiddenLayerSizes $config.HiddenLayers -Name 'SDAE (paper)'
            $paperPairs | Invoke-SimilarityTraining @trainArgs -Preset Paper -HiddenLayerSizes $config.HiddenLayers -Name 'no pre-training'
            $paperPairs | Invoke-SimilarityTraining @trainArgs -Preset Paper -HiddenLayerSizes $config.ShallowHiddenLayers -Name 'shallow 578-578-2'
            $hardPairs | Invoke-SimilarityTraining @trainArgs -Preset Paper -HiddenLayerSizes $config.HiddenLayers -Activation $config.ImprovedActivation -Normalization $config.ImprovedNormalization -Name 'DeepSim improved'
            # DeepSim's two-branch CNN (Invoke-SimilarityTraining -Preset Cnn).
            $cnnImages | Invoke-SimilarityTraining -Preset Cnn -Epochs $config.CnnEpochs -StepsPerEpoch $config.CnnStepsPerEpoch -Seed $Seed -Name 'DeepSim CNN'
        )
        if ($foldIndex -eq 1) { $models | Where-Object { $_ -is [DeepSim.Learning.SimilarityModel] } | ForEach-Object { $curves.Add($_) }; $sdaeForFigure = $sdae }
        foreach ($m in $models) {
            $last = $m.History[$m.BestEpoch - 1]
            if ($null -ne $last.ValidationAccuracy) { Write-Host ("  {0}: best epoch {1}, validation accuracy {2:P1}" -f $m.Name, $m.BestEpoch, $last.ValidationAccuracy) }
            else { Write-Host ("  {0}: {1} epochs, training top-1 within 1 px {2:P1}" -f $m.Name, $m.BestEpoch, $last.TrainAccuracy) }
        }

        Write-Progress -Id 1 -Activity $activity -Status 'measuring prediction errors' -PercentComplete (100 * ($foldIndex - 0.4) / $folds.Count)
        $evalArgs = @{ Metric = @($models) + @('NMI', 'MI', 'LCC', 'NCC', 'CorrelationRatio'); Count = $config.TestPatches; SearchRadius = $config.SearchRadius
            Tolerance = $config.Tolerance; Seed = $Seed + 7 * $foldIndex; Bins = $config.Bins; HistogramRange = $config.HistogramRange; LccWindowRadius = $config.LccWindowRadius
            PatchSize = $config.PatchSize; Pool = $true; SourceName = "$($fold.Name)" }
        if ($testMask) { $evalArgs.Mask = $testMask } else { $evalArgs.Region = $config.Region; $evalArgs.DilationRadius = $config.DilationRadius }
        $foldResults = @($test | Measure-PredictionError @evalArgs)
        $foldResults | ForEach-Object { $results.Add($_) }
        $foldResults | Format-Table Metric, Count, MeanError, MedianError, HitRate -AutoSize | Out-Host

        # Similarity maps of a few test patches: the paper's learned metric beside NMI and LCC, true position boxed.
        # Centres come from the sampler (in the region of interest), kept where the whole search window fits.
        $src = $test[0]
        $margin = $config.SearchRadius + [int][Math]::Floor($config.PatchSize / 2)
        $mapSampling = @{ Count = 200; Seed = $Seed; PatchSize = $config.PatchSize }
        if ($testMask) { $mapSampling.Mask = $testMask } else { $mapSampling.Region = $config.Region }
        $centres = @(Get-PatchPair -Fixed $src.Fixed -Moving $src.Moving @mapSampling | Where-Object IsMatch | ForEach-Object FixedCenter |
            Where-Object { $_.X -ge $margin -and $_.Y -ge $margin -and $_.X -lt $src.Fixed.SizeX - $margin -and $_.Y -lt $src.Fixed.SizeY - $margin } |
            Select-Object -First $(if ($Smoke) { 1 } else { 3 }))
        foreach ($c in $centres) {
            $file = Join-Path "$staging/maps" ("{0}-{1}-{2}.png" -f ([System.IO.Path]::GetFileNameWithoutExtension($src.Name) -replace '[^\w.-]', '_'), $c.X, $c.Y)
            Measure-PatchSimilarity -Metric $models[0], $models[4], 'NMI', 'LCC' -Fixed $src.Fixed -Moving $src.Moving -Center $c.X, $c.Y -SearchRadius $config.SearchRadius |
                Export-SimilarityMap -Path $file -Columns 4
        }
    }
    Write-Progress -Id 1 -Activity 'Reproduce-Paper' -Completed

    # ---- Report --------------------------------------------------------------------------------------------------
    $summary = $results | Export-PredictionErrorReport -Path $staging -Resamples $config.BootstrapResamples -Seed $Seed -Title "Prediction error, $split"
    $curves | Export-TrainingHistoryPlot -Path "$staging/figures/training-curves.png" -Title 'Similarity networks, first fold'
    $sdaeForFigure | Export-TrainingHistoryPlot -Path "$staging/figures/sdae-reconstruction.png" -Title 'SDAE reconstruction error, first fold'
    # Every patch's error, so the numbers can be re-analysed without re-running.
    $results | ForEach-Object { $r = $_; $r.Errors | ForEach-Object { [pscustomobject]@{ Source = $r.Source; Metric = $r.Metric; X = $_.Center.X; Y = $_.Center.Y; Z = $_.Center.Z; Error = $_.Error; BestDx = $_.BestOffset.Dx; BestDy = $_.BestOffset.Dy } } } |
        Export-Csv -Path "$staging/errors.csv" -NoTypeInformation
    if ($alignment) { $alignment | Export-Csv -Path "$staging/alignment.csv" -NoTypeInformation }
    $config.RunSeconds = [Math]::Round($clock.Elapsed.TotalSeconds, 1)
    $config.DeepSimVersion = (Get-Module DeepSim).Version.ToString()
    $config | ConvertTo-Json -Depth 4 | Set-Content -LiteralPath "$staging/config.json"

    # Swap the finished report in.
    $target = [System.IO.Path]::GetFullPath($OutputPath)
    if (Test-Path $target) { Remove-Item $target -Recurse -Force }
    Move-Item $staging $target
    $staging = $null
    Write-Host "`nPooled results ($split):"
    $pooled = @($summary | Where-Object Source -eq 'pooled')
    if ($pooled.Count -eq 0) { $pooled = $summary }
    $pooled | Format-Table -AutoSize | Out-String -Width 160 | Out-Host
    Write-Host ("Report in {0} (table: prediction-error.md / .csv; per-patch errors: errors.csv; figures: figures/, maps/); {1:N0} s." -f $target, $clock.Elapsed.TotalSeconds)
} finally {
    # Interrupted or failed: leave nothing half-written.
    if ($staging -and (Test-Path $staging)) { Remove-Item $staging -Recurse -Force -ErrorAction SilentlyContinue }
}
