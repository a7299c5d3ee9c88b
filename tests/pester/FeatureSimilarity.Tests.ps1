BeforeDiscovery { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModuleManifest -Force
    # Small, fast settings: the point is the user's pipeline, not the quality of the metric.
    $script:Tiny = @{ Preset = 'Cnn'; Channels = 16; FeatureDimension = 8; Epochs = 2; StepsPerEpoch = 3; CropsPerBatch = 2; CropSize = 40; Seed = 3 }
}

Describe 'Invoke-SimilarityTraining on image pairs, as a user pipes them' -Skip:(-not $HasData) {
    BeforeAll {
        $ct = Join-Path $DataRoot 'ct-mr-head/CT'
        $mr = Join-Path $DataRoot 'ct-mr-head/MR'
        $script:pairs = @(Import-ImagePair -FixedPath (Join-Path $ct '20*.png') -MovingPath $mr | Select-Object -First 3)
        $script:model = $pairs | Invoke-SimilarityTraining @Tiny -Name 'cnn'
    }

    It 'trains the two-branch CNN from Import-ImagePair output' {
        $model | Should -BeOfType ([DeepSim.Learning.FeatureSimilarityModel])
        $model.Name | Should -Be 'cnn'
        $model.TrainingImageCount | Should -Be 3
        $model.History.Count | Should -Be 2
        $model.PatchSize | Should -Be 17
        ($model | Format-Table | Out-String) | Should -Match 'two-branch CNN'
        # The default input is locally standardised: the convolutions see the patch less the 5x5 window's margins.
        $model.Options.Normalization | Should -Be 'Local'
        $model.Options.NetworkField | Should -Be 13
    }

    It 'trains on range-scaled input with -FeatureNormalization ImageRange' {
        $range = $pairs | Invoke-SimilarityTraining @Tiny -Epochs 1 -FeatureNormalization ImageRange
        $range.Options.Normalization | Should -Be 'ImageRange'
        $range.Options.NetworkField | Should -Be 17
        $range.FixedLayers.Dilation | Should -Be @(1, 2, 4, 1, 1)
    }

    It 'is a -Metric beside the classical measures' {
        $r = $pairs[0] | Measure-PredictionError -Metric $model, 'LCC' -Count 10 -SearchRadius 10 -Seed 1
        $r.Metric | Should -Be @('cnn', 'LCC')
        $r[0].Count | Should -Be 10
    }

    It 'round-trips through a model file with identical scores' {
        $path = Join-Path $TestDrive 'cnn.dsim'
        $model | Export-SimilarityModel -Path $path
        $back = Import-SimilarityModel $path
        $back | Should -BeOfType ([DeepSim.Learning.FeatureSimilarityModel])
        $a = $pairs[0] | Measure-PredictionError -Metric $model -Count 5 -SearchRadius 5 -Seed 2
        $b = $pairs[0] | Measure-PredictionError -Metric $back -Count 5 -SearchRadius 5 -Seed 2
        $b.Errors.Error | Should -Be $a.Errors.Error
        $b.Errors.BestScore | Should -Be $a.Errors.BestScore
    }

    It 'trains the CNN from image pairs without a preset' {
        $default = $pairs | Invoke-SimilarityTraining -Epochs 1 -StepsPerEpoch 2 -CropsPerBatch 2 -CropSize 40 -Seed 3
        $default | Should -BeOfType ([DeepSim.Learning.FeatureSimilarityModel])
        # The recommended CNN adds a trained weight times LCC to the cosine.
        $default.Anchor | Should -Be 'Lcc'
        $default.AnchorWeight | Should -BeGreaterThan 0
        # ... and the context view x4 (the recommended 2D configuration); -ContextScale 0 turns it off.
        $default.ContextScale | Should -Be 4
        $default.ContextWeight | Should -BeGreaterThan 0
        $plain = $pairs | Invoke-SimilarityTraining -Epochs 1 -StepsPerEpoch 1 -CropsPerBatch 2 -CropSize 40 -ContextScale 0 -Seed 3
        $plain.ContextScale | Should -Be 0
    }

    It 'refuses -Preset Cnn on patch pairs with a specific error' {
        $patches = @($pairs[0] | Get-PatchPair -Count 10 -Seed 1)
        { $patches | Invoke-SimilarityTraining -Preset Cnn -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidTrainingSetup*'
    }

    It 'trains the paper network from the same image pairs with -Preset Paper' {
        $paper = $pairs | Invoke-SimilarityTraining -Preset Paper -Epochs 1 -Seed 3
        $paper | Should -BeOfType ([DeepSim.Learning.SimilarityModel])
        $paper.LayerSizes | Should -Be @(578, 578, 300, 100, 2)
        $paper.TrainingPairCount | Should -Be 4000
    }
}

Describe 'Invoke-SimilarityTraining on objects with Fixed and Moving' {
    It 'accepts any object with Fixed and Moving images and is reproducible with a seed' {
        $rng = [Random]::new(4)
        $f = [float[]]::new(48 * 48); $m = [float[]]::new(48 * 48)
        for ($i = 0; $i -lt $f.Length; $i++) { $v = [Math]::Sin(($i % 48) / 5.0) * [Math]::Cos([Math]::Floor($i / 48) / 7.0); $f[$i] = 100 * $v; $m[$i] = 50 * $v * $v + $rng.NextDouble() }
        $pair = [pscustomobject]@{ Fixed = [DeepSim.Imaging.MedicalImage]::new($f, 48, 48, 1); Moving = [DeepSim.Imaging.MedicalImage]::new($m, 48, 48, 1) }
        $a = $pair | Invoke-SimilarityTraining @Tiny
        $b = $pair | Invoke-SimilarityTraining @Tiny
        $a | Should -BeOfType ([DeepSim.Learning.FeatureSimilarityModel])
        $b.FixedLayers[0].Weights | Should -Be $a.FixedLayers[0].Weights
    }

    It 'trains the LCC-anchored CNN with -Anchor Lcc, scores with it and keeps the anchor in the model file' {
        $rng = [Random]::new(5)
        $f = [float[]]::new(48 * 48); $m = [float[]]::new(48 * 48)
        for ($i = 0; $i -lt $f.Length; $i++) { $v = [Math]::Sin(($i % 48) / 4.0) * [Math]::Cos([Math]::Floor($i / 48) / 6.0); $f[$i] = 100 * $v; $m[$i] = 50 * $v * $v + $rng.NextDouble() }
        $pair = [pscustomobject]@{ Fixed = [DeepSim.Imaging.MedicalImage]::new($f, 48, 48, 1); Moving = [DeepSim.Imaging.MedicalImage]::new($m, 48, 48, 1) }
        $anchored = $pair | Invoke-SimilarityTraining @Tiny -Anchor Lcc -Name 'anchored'
        $anchored.Anchor | Should -Be 'Lcc'
        $anchored.AnchorWeight | Should -BeGreaterThan 0
        ($anchored | Format-Table | Out-String -Width 200) | Should -Match '\d x LCC'
        $plain = $pair | Invoke-SimilarityTraining @Tiny -Anchor None
        $plain.Anchor | Should -Be 'None'
        $plain.AnchorWeight | Should -Be 0
        $path = Join-Path $TestDrive 'anchored.dsim'
        $anchored | Export-SimilarityModel -Path $path
        $back = Import-SimilarityModel $path
        $back.AnchorWeight | Should -Be $anchored.AnchorWeight
        $a = $pair | Measure-PredictionError -Metric $anchored -Count 5 -SearchRadius 4 -Seed 2
        $b = $pair | Measure-PredictionError -Metric $back -Count 5 -SearchRadius 4 -Seed 2
        $b.Errors.BestScore | Should -Be $a.Errors.BestScore
    }

    It 'trains the context view with -ContextScale, scores with it and keeps it in the model file' {
        $rng = [Random]::new(6)
        $f = [float[]]::new(64 * 64); $m = [float[]]::new(64 * 64)
        for ($i = 0; $i -lt $f.Length; $i++) { $v = [Math]::Sin(($i % 64) / 5.0) * [Math]::Cos([Math]::Floor($i / 64) / 7.0); $f[$i] = 100 * $v; $m[$i] = 50 * $v * $v + $rng.NextDouble() }
        $pair = [pscustomobject]@{ Fixed = [DeepSim.Imaging.MedicalImage]::new($f, 64, 64, 1); Moving = [DeepSim.Imaging.MedicalImage]::new($m, 64, 64, 1) }
        $context = $pair | Invoke-SimilarityTraining @Tiny -Epochs 1 -ContextScale 2 -Name 'context'
        $context.ContextScale | Should -Be 2
        $context.Options.ContextExtent | Should -Be 35
        $context.ContextWeight | Should -BeGreaterThan 0
        ($context | Format-Table | Out-String -Width 300) | Should -Match '\d x 35 at 1/2'
        $path = Join-Path $TestDrive 'context.dsim'
        $context | Export-SimilarityModel -Path $path
        $back = Import-SimilarityModel $path
        $back.ContextWeight | Should -Be $context.ContextWeight
        $a = $pair | Measure-PredictionError -Metric $context -Count 5 -SearchRadius 4 -Seed 2
        $b = $pair | Measure-PredictionError -Metric $back -Count 5 -SearchRadius 4 -Seed 2
        $b.Errors.BestScore | Should -Be $a.Errors.BestScore
        { $pair | Invoke-SimilarityTraining @Tiny -ContextScale 9 -ErrorAction Stop } | Should -Throw
    }

    It 'pre-trains both branches without labels with -PretrainSteps and records it in the model' {
        $rng = [Random]::new(8)
        $f = [float[]]::new(48 * 48); $m = [float[]]::new(48 * 48)
        for ($i = 0; $i -lt $f.Length; $i++) { $v = [Math]::Sin(($i % 48) / 4.0) * [Math]::Cos([Math]::Floor($i / 48) / 5.0); $f[$i] = 100 * $v; $m[$i] = 50 * $v * $v + $rng.NextDouble() }
        $pair = [pscustomobject]@{ Fixed = [DeepSim.Imaging.MedicalImage]::new($f, 48, 48, 1); Moving = [DeepSim.Imaging.MedicalImage]::new($m, 48, 48, 1) }
        $pretrained = $pair | Invoke-SimilarityTraining @Tiny -Epochs 1 -PretrainSteps 6 -Name 'pre-trained'
        $again = $pair | Invoke-SimilarityTraining @Tiny -Epochs 1 -PretrainSteps 6
        $plain = $pair | Invoke-SimilarityTraining @Tiny -Epochs 1
        $pretrained.Options.PretrainSteps | Should -Be 6
        $plain.Options.PretrainSteps | Should -Be 0
        $again.FixedLayers[0].Weights | Should -Be $pretrained.FixedLayers[0].Weights
        $pretrained.FixedLayers[0].Weights | Should -Not -Be $plain.FixedLayers[0].Weights
        $path = Join-Path $TestDrive 'pretrained.dsim'
        $pretrained | Export-SimilarityModel -Path $path
        (Import-SimilarityModel $path).Options.PretrainSteps | Should -Be 6
        { $pair | Invoke-SimilarityTraining @Tiny -PretrainSteps -1 -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
    }

    It 'refuses images smaller than the training crop with a specific error' {
        $small = [pscustomobject]@{ Fixed = [DeepSim.Imaging.MedicalImage]::new([float[]]::new(400), 20, 20, 1); Moving = [DeepSim.Imaging.MedicalImage]::new([float[]]::new(400), 20, 20, 1) }
        { $small | Invoke-SimilarityTraining @Tiny -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidTrainingSetup*'
    }
}

Describe 'Invoke-SimilarityTraining -Preset TwoChannel, as a user calls it' {
    BeforeAll {
        # An aligned 48x48 pair with no linear intensity relation (no ../shared needed); tiny settings, the pipeline is the point.
        $rng = [Random]::new(8)
        $f = [float[]]::new(48 * 48); $m = [float[]]::new(48 * 48)
        for ($i = 0; $i -lt $f.Length; $i++) { $v = [Math]::Sin(($i % 48) / 5.0) * [Math]::Cos([Math]::Floor($i / 48) / 7.0); $f[$i] = 100 * $v; $m[$i] = 50 * $v * $v + $rng.NextDouble() }
        $script:pair2ch = [pscustomobject]@{ Fixed = [DeepSim.Imaging.MedicalImage]::new($f, 48, 48, 1); Moving = [DeepSim.Imaging.MedicalImage]::new($m, 48, 48, 1) }
        $script:Tiny2ch = @{ Preset = 'TwoChannel'; Channels = 4; Epochs = 1; StepsPerEpoch = 2; CropsPerBatch = 2; CropSize = 40; QueriesPerCrop = 2; CandidatesPerQuery = 16; Seed = 3 }
        $script:twoChannel = $pair2ch | Invoke-SimilarityTraining @Tiny2ch -Name '2ch'
    }

    It 'trains the two-channel CNN on the stacked patches, reproducibly' {
        $twoChannel | Should -BeOfType ([DeepSim.Learning.TwoChannelSimilarityModel])
        $twoChannel.Name | Should -Be '2ch'
        $twoChannel.Options.CandidatesPerQuery | Should -Be 16
        $twoChannel.Convolutions[0].Inputs | Should -Be 2
        ($twoChannel | Format-Table | Out-String -Width 200) | Should -Match 'two-channel CNN 2-4-8-8'
        $again = $pair2ch | Invoke-SimilarityTraining @Tiny2ch
        $again.Dense[0].Weights | Should -Be $twoChannel.Dense[0].Weights
    }

    It 'is a -Metric beside LCC and round-trips through a model file with identical scores' {
        $r = $pair2ch | Measure-PredictionError -Metric $twoChannel, 'LCC' -Count 5 -SearchRadius 4 -Seed 2
        $r.Metric | Should -Be @('2ch', 'LCC')
        $path = Join-Path $TestDrive '2ch.dsim'
        $twoChannel | Export-SimilarityModel -Path $path
        $back = Import-SimilarityModel $path
        $back | Should -BeOfType ([DeepSim.Learning.TwoChannelSimilarityModel])
        $b = $pair2ch | Measure-PredictionError -Metric $back -Count 5 -SearchRadius 4 -Seed 2
        $b.Errors.BestScore | Should -Be $r[0].Errors.BestScore
    }

    It 'is refused by Register-Image, which needs feature maps, and refuses the anchor' {
        { Register-Image -Fixed $pair2ch.Fixed -Moving $pair2ch.Moving -Metric $twoChannel -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownRegistrationMetric,*' -ExpectedMessage '*no per-image feature maps*'
        { $pair2ch | Invoke-SimilarityTraining @Tiny2ch -Anchor Lcc -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidTrainingSetup*'
    }
}

Describe 'Invoke-SimilarityTraining -Volumetric on volume pairs, as a user calls it' {
    BeforeAll {
        # Two aligned 24^3 volumes with no linear intensity relation (no ../shared needed).
        $n = 24
        $rng = [Random]::new(7)
        $f = [float[]]::new($n * $n * $n); $m = [float[]]::new($f.Length)
        for ($i = 0; $i -lt $f.Length; $i++) {
            $x = $i % $n; $y = [Math]::Floor($i / $n) % $n; $z = [Math]::Floor($i / ($n * $n))
            $v = [Math]::Sin($x / 3.0) * [Math]::Cos($y / 4.0) + [Math]::Sin(($z + $x) / 2.5)
            $f[$i] = 100 * $v; $m[$i] = 50 * $v * $v + $rng.NextDouble()
        }

        $script:volumes = [pscustomobject]@{ Fixed = [DeepSim.Imaging.MedicalImage]::new($f, $n, $n, $n); Moving = [DeepSim.Imaging.MedicalImage]::new($m, $n, $n, $n) }
        $script:model3d = $volumes | Invoke-SimilarityTraining -Volumetric -Epochs 1 -StepsPerEpoch 2 -CropsPerBatch 2 -CropSize 15 -Seed 3
    }

    It 'trains the 3D two-branch CNN with the measured 3D defaults for unset options' {
        $model3d | Should -BeOfType ([DeepSim.Learning.FeatureSimilarityModel])
        $model3d.Dimensions | Should -Be 3
        $model3d.RequiredPatchDimension | Should -Be 3
        $model3d.Name | Should -Be 'DeepSim-CNN-3D'
        $model3d.PatchSize | Should -Be 7
        $model3d.Options.QueriesPerCrop | Should -Be 16
        $model3d.Options.CropSize | Should -Be 15
        $model3d.Anchor | Should -Be 'Lcc'
        $model3d.FixedLayers[0].Weights.Count | Should -Be (16 * 27)
        ($model3d | Format-Table | Out-String) | Should -Match 'two-branch 3D CNN'
    }

    It 'is a -Metric of the 3D search beside LCC, and round-trips through a model file' {
        $search = @{ Fixed = $volumes.Fixed; Moving = $volumes.Moving; Volumetric = $true; PatchSize = 7; SearchRadius = 3; Region = 'All'; Count = 4; Seed = 1 }
        $r = Measure-PredictionError -Metric $model3d, LCC @search
        $r.Metric | Should -Be @('DeepSim-CNN-3D', 'LCC')
        $r[0].Count | Should -Be 4
        $r[0].Options.Dimension | Should -Be 3
        $r[0].Options.CandidatesPerQuery | Should -Be 343
        $path = Join-Path $TestDrive 'cnn3d.dsim'
        $model3d | Export-SimilarityModel -Path $path
        $back = Import-SimilarityModel $path
        $back.Dimensions | Should -Be 3
        $again = Measure-PredictionError -Metric $back @search
        $again.Errors.Error | Should -Be $r[0].Errors.Error
        $again.Errors.BestScore | Should -Be $r[0].Errors.BestScore
    }

    It 'implies the 3D search and its patch size without -Volumetric, as a 3D fully connected model does' {
        $r = Measure-PredictionError -Metric $model3d -Fixed $volumes.Fixed -Moving $volumes.Moving -SearchRadius 2 -Region All -Count 2 -Seed 1
        $r.Options.Dimension | Should -Be 3
        $r.Options.PatchSize | Should -Be 7
        $r.Options.CandidatesPerQuery | Should -Be 125
    }

    It 'refuses -Volumetric on patch pairs and volumes thinner than the crop with InvalidTrainingSetup' {
        $patches = @(Get-PatchPair -Fixed $volumes.Fixed -Moving $volumes.Moving -Volumetric -Region All -Count 5 -Seed 1)
        { $patches | Invoke-SimilarityTraining -Volumetric -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidTrainingSetup*'
        $thin = [pscustomobject]@{ Fixed = $volumes.Fixed.Crop(0, 0, 0, 24, 24, 10); Moving = $volumes.Moving.Crop(0, 0, 0, 24, 24, 10) }
        { $thin | Invoke-SimilarityTraining -Volumetric -Epochs 1 -StepsPerEpoch 1 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidTrainingSetup*'
    }
}
