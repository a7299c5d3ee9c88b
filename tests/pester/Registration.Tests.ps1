BeforeDiscovery { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModuleManifest -Force
    $slices = Join-Path $DataRoot 'mr-t1-pd-slice'
    $tmp = Join-Path ([System.IO.Path]::GetTempPath()) "deepsim-reg-$PID"
    New-Item -ItemType Directory -Force -Path $tmp | Out-Null
}

AfterAll { if ($tmp) { Remove-Item -Recurse -Force $tmp -ErrorAction SilentlyContinue } }

Describe 'Register-Image on ITK''s T1/PD slices' -Skip:(-not $HasData) {
    BeforeAll {
        $t1 = Import-MedicalImage (Join-Path $slices 'BrainT1SliceBorder20.png')
        $pd = Import-MedicalImage (Join-Path $slices 'BrainProtonDensitySliceBorder20.png')
        $moved = Import-MedicalImage (Join-Path $slices 'BrainProtonDensitySliceR10X13Y17.png')
        # The reference: the same PD slice registered to its rotated/shifted copy by mean squares (one modality).
        $reference = Register-Image -Fixed $pd -Moving $moved -Metric MSE -Sampling Full -Seed 1
        $result = Register-Image -Fixed $t1 -Moving $moved -Metric MI -Transform Rigid -Seed 1
    }

    It 'recovers the 10 degree rotation and the shift by mutual information within 0.5 px and 0.5 degree' {
        $result | Should -BeOfType DeepSim.Registration.RegistrationResult
        $result.Transform | Should -BeOfType DeepSim.Registration.Euler2DTransform
        $result.Transform.AngleDegrees | Should -BeGreaterThan 9.5
        $result.Transform.AngleDegrees | Should -BeLessThan 10.5
        [math]::Abs($result.Transform.AngleDegrees - $reference.Transform.AngleDegrees) | Should -BeLessThan 0.5
        foreach ($p in @(@(20.0, 20.0), @(200.0, 20.0), @(20.0, 236.0), @(200.0, 236.0))) {
            $a = $result.Transform.TransformPoint([double[]]$p); $b = $reference.Transform.TransformPoint([double[]]$p)
            [math]::Sqrt([math]::Pow($a[0] - $b[0], 2) + [math]::Pow($a[1] - $b[1], 2)) | Should -BeLessThan 0.5
        }
        $result.Iterations | Should -Be 350
        $result.Trace[-1].MetricValue | Should -BeLessThan $result.Trace[0].MetricValue
    }

    It 'takes pairs from the pipeline (objects with Fixed and Moving) and honours -Seed' {
        $pair = [pscustomobject]@{ Fixed = $t1; Moving = $moved }
        $again = $pair | Register-Image -Metric MI -Seed 1
        $again.Parameters | Should -Be $result.Parameters
    }

    It 'searches rotations first with -RotationSearch and fixes the finest sample set with -FinestLevelSampling' {
        # No iterations: the transform is the search's pick (steps of 2.5 deg) alone. The search scores rotations at
        # the initial translation, so it is shown on the slice that is rotated only.
        $rotated = Import-MedicalImage (Join-Path $slices 'BrainProtonDensitySliceRotated10.png')
        $searched = Register-Image -Fixed $t1 -Moving $rotated -Metric MI -Iterations 0 -RotationSearch 20
        $searched.Transform.AngleDegrees | Should -BeGreaterOrEqual 7.5
        $searched.Transform.AngleDegrees | Should -BeLessOrEqual 12.5
        $a = Register-Image -Fixed $t1 -Moving $moved -Metric MI -ShrinkFactors 2 -Iterations 5 -FinestLevelSampling Full -Seed 1
        $b = Register-Image -Fixed $t1 -Moving $moved -Metric MI -ShrinkFactors 2 -Iterations 5 -FinestLevelSampling Full -Seed 2
        $b.Parameters | Should -Be $a.Parameters
    }

    It 'registers with a CNN the user trained on an aligned pair (Invoke-SimilarityTraining''s default model)' {
        # Tiny training settings (seconds); the model is the LCC-anchored two-branch CNN, a FeatureSimilarityModel.
        $cnn = [pscustomobject]@{ Fixed = $t1; Moving = $pd } |
            Invoke-SimilarityTraining -Channels 16 -FeatureDimension 8 -Epochs 2 -StepsPerEpoch 3 -CropsPerBatch 2 -CropSize 40 -Seed 3 -Name 'cnn'
        $cnn | Should -BeOfType DeepSim.Learning.FeatureSimilarityModel
        $byCnn = [pscustomobject]@{ Fixed = $t1; Moving = $moved } | Register-Image -Metric $cnn -Iterations 60, 40, 60 -Seed 1
        $byCnn.Metric | Should -Be 'cnn'
        [math]::Abs($byCnn.Transform.AngleDegrees - $reference.Transform.AngleDegrees) | Should -BeLessThan 0.5
        foreach ($p in @(@(20.0, 20.0), @(200.0, 20.0), @(20.0, 236.0), @(200.0, 236.0))) {
            $a = $byCnn.Transform.TransformPoint([double[]]$p); $b = $reference.Transform.TransformPoint([double[]]$p)
            [math]::Sqrt([math]::Pow($a[0] - $b[0], 2) + [math]::Pow($a[1] - $b[1], 2)) | Should -BeLessThan 0.5
        }
        # The CNN describes 2D patches: a volume is refused with a specific error naming the model.
        $volume = Import-MedicalImage (Join-Path $slices 'BrainProtonDensity3Slices.mha')
        Register-Image -Fixed $volume -Moving $volume -Metric $cnn -ErrorVariable wrong -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $wrong[0].FullyQualifiedErrorId | Should -BeLike 'DimensionMismatch,*'
        $wrong[0].Exception.Message | Should -Match "'cnn' describes 2D patches"
    }

    It 'registers non-rigidly with -Transform BSpline: the grid is refined coarse to fine to -GridSpacing, without folding' {
        # The aligned T1/PD pair: nothing to recover, so MI must leave the head nearly where it is.
        $bs = Register-Image -Fixed $t1 -Moving $pd -Metric MI -Transform BSpline -GridSpacing 32 -Iterations 40 -Seed 1
        $bs.Transform | Should -BeOfType DeepSim.Registration.BSplineTransform
        $bs.Transform.GridSpacing | Should -Be @(32.0, 32.0)
        # B-spline's default pyramid has two levels (-ShrinkFactors 2, 1): 64 and 32 mm grids here.
        $bs.Iterations | Should -Be 80
        $bs.MinJacobianDeterminant | Should -BeGreaterThan 0
        foreach ($p in @(@(60.0, 60.0), @(150.0, 80.0), @(100.0, 180.0))) {
            $q = $bs.Transform.TransformPoint([double[]]$p)
            [math]::Sqrt([math]::Pow($q[0] - $p[0], 2) + [math]::Pow($q[1] - $p[1], 2)) | Should -BeLessThan 2
        }
        # One grid for every level (no refinement) is a schedule of 1; a schedule that does not halve is refused.
        $flat = Register-Image -Fixed $t1 -Moving $pd -Metric MI -Transform BSpline -GridSpacing 32 -GridSpacingSchedule 1 -Iterations 5 -Optimizer Adam -LearningRate 0.1 -Seed 1
        $flat.Transform.GridSpacing | Should -Be @(32.0, 32.0)
        Register-Image -Fixed $t1 -Moving $pd -Transform BSpline -GridSpacingSchedule 3, 1 -Iterations 1 -ErrorVariable bad -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $bad[0].FullyQualifiedErrorId | Should -BeLike 'InvalidRegistrationSettings*'
        $bad[0].Exception.Message | Should -Match 'halve'
    }

    It 'round-trips the transform through an ITK .tfm file, with -WhatIf and -Force' {
        $path = Join-Path $tmp 'pd-to-t1.tfm'
        $result | Export-ImageTransform -Path $path -WhatIf
        Test-Path $path | Should -BeFalse
        $file = $result | Export-ImageTransform -Path $path -PassThru
        $file.Name | Should -Be 'pd-to-t1.tfm'
        (Get-Content $path)[0] | Should -Be '#Insight Transform File V1.0'
        (Get-Content $path)[2] | Should -Be 'Transform: Euler2DTransform_double_2_2'
        $back = Import-ImageTransform $path
        $back.Parameters | Should -Be $result.Transform.Parameters
        $back.FixedParameters | Should -Be @(110, 128)
        $result | Export-ImageTransform -Path $path -ErrorVariable exists -ErrorAction SilentlyContinue
        $exists[0].FullyQualifiedErrorId | Should -BeLike 'TransformFileExists,*'
        $reference | Export-ImageTransform -Path $path -Force
        (Import-ImageTransform $path).Parameters | Should -Be $reference.Transform.Parameters
    }

    It 'gives specific errors for images of different dimension and unreadable transform files' {
        $volume = Import-MedicalImage (Join-Path $slices 'BrainProtonDensity3Slices.mha')
        Register-Image -Fixed $t1 -Moving $volume -ErrorVariable dim -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $dim[0].FullyQualifiedErrorId | Should -BeLike 'DimensionMismatch,*'
        $dim[0].TargetObject | Should -Be $volume
        $dim[0].Exception.Message | Should -Match '2D.*3D'
        $bad = Join-Path $tmp 'bad.tfm'
        Set-Content -Path $bad -Value 'hello'
        Import-ImageTransform $bad -ErrorVariable unreadable -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $unreadable[0].FullyQualifiedErrorId | Should -BeLike 'InvalidTransformFile,*'
        { Register-Image -Fixed $t1 -Moving $pd -Metric Bogus -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownRegistrationMetric,*'
    }
}

Describe 'Test-ImageAlignment on ITK''s T1/PD slices' -Skip:(-not $HasData) {
    BeforeAll {
        $t1 = Import-MedicalImage (Join-Path $slices 'BrainT1SliceBorder20.png')
        $pd = Import-MedicalImage (Join-Path $slices 'BrainProtonDensitySliceBorder20.png')
        $shifted = Import-MedicalImage (Join-Path $slices 'BrainProtonDensitySliceShifted13x17y.png')
    }

    It 'passes the aligned T1/PD pair and flags the PD slice shifted by (13, 17) px' {
        $verdicts = @([pscustomobject]@{ Fixed = $t1; Moving = $pd }, [pscustomobject]@{ Fixed = $t1; Moving = $shifted }) |
            Test-ImageAlignment -Metric MI -Tolerance 1 -Iterations 80, 50, 30 -Seed 1
        $verdicts.Count | Should -Be 2
        $verdicts[0] | Should -BeOfType DeepSim.Registration.AlignmentVerdict
        $verdicts[0].Aligned | Should -BeTrue
        $verdicts[0].MaxDisplacementMm | Should -BeLessThan 1
        $verdicts[0].Confidence | Should -BeGreaterThan 0.5
        $verdicts[1].Aligned | Should -BeFalse
        $verdicts[1].TranslationMm | Should -BeGreaterThan 20.9
        $verdicts[1].TranslationMm | Should -BeLessThan 21.9
        [math]::Abs($verdicts[1].RotationDegrees) | Should -BeLessThan 0.5
        $verdicts[1].Metric | Should -Be 'MI'
    }
}
