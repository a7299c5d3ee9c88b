BeforeDiscovery { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModuleManifest -Force
    $slices = Join-Path $DataRoot 'mr-t1-pd-slice'
}

Describe 'The paper''s pipeline on T1 against PD, as a user writes it' -Skip:(-not $HasData) {
    BeforeAll {
        $t1 = Import-MedicalImage (Join-Path $slices 'BrainT1Slice.png')
        $pd = Import-MedicalImage (Join-Path $slices 'BrainProtonDensitySlice.png')
        # The paper trained and tested on one subject; so does this test, on the aligned T1/PD slices. The test
        # centres are drawn apart from the training ones by seed; the candidates of the 81x81 searches are mostly unseen.
        $pairs = Get-PatchPair -Fixed $t1 -Moving $pd -Region Foreground -Count 2000 -Seed 5
        $sdae = $pairs | Invoke-SdaePretrain -EpochsPerLayer 10 -Seed 5
        $model = $pairs | Invoke-SimilarityTraining -Pretrained $sdae -Epochs 20 -Seed 5
        $results = Measure-PredictionError -Metric $model, 'NMI', 'LCC' -Fixed $t1 -Moving $pd -Region Foreground -Count 60 -SearchRadius 40 -Seed 3
    }

    It 'pre-trains an SDAE whose layers reconstruct their input' {
        $sdae | Should -BeOfType DeepSim.Learning.SdaeModel
        @($sdae.Autoencoders).Count | Should -Be 4
        $sdae.Autoencoders | ForEach-Object { $_.ReconstructionError | Should -BeLessThan 0.1 }
    }

    It 'trains a similarity model well above chance, with a history' {
        $model | Should -BeOfType DeepSim.Learning.SimilarityModel
        $model.LayerSizes | Should -Be @(578, 578, 300, 100, 2)
        $model.Pretrained | Should -BeTrue
        @($model.History).Count | Should -BeGreaterThan 0
        ($model.History | Measure-Object TrainAccuracy -Maximum).Maximum | Should -BeGreaterThan 0.8
    }

    It 'gives one result per metric, learned and classical side by side' {
        @($results).Count | Should -Be 3
        $results.Metric | Should -Be @($model.Name, 'NMI', 'LCC')
        $results | ForEach-Object { $_.Count | Should -Be 60; @($_.Errors).Count | Should -Be 60 }
        $results[0].Errors[0].PSObject.Properties.Name | Should -Contain 'Center'
    }

    It 'ranks the learned metric ahead of NMI on T1/PD' {
        $results[0].MeanError | Should -BeLessThan $results[1].MeanError
    }

    It 'evaluates every metric on the same centres' {
        ($results[0].Errors.Center | ForEach-Object { "$_" }) | Should -Be ($results[1].Errors.Center | ForEach-Object { "$_" })
    }

    It 'pipes Invoke-SdaePretrain straight into Invoke-SimilarityTraining' {
        $m = $pairs | Select-Object -First 200 | Invoke-SdaePretrain -EpochsPerLayer 1 -Seed 2 | Invoke-SimilarityTraining -Epochs 1 -Seed 2
        $m.Pretrained | Should -BeTrue
        $m.TrainingPairCount | Should -Be 200
    }

    It 'scores piped pairs with the model, matches above non-matches on average' {
        $scored = $pairs | Select-Object -First 200 | Measure-PatchSimilarity -Metric $model
        $match = ($scored | Where-Object IsMatch | Measure-Object Score -Average).Average
        $non = ($scored | Where-Object { -not $_.IsMatch } | Measure-Object Score -Average).Average
        $match | Should -BeGreaterThan $non
        $scored[0].ScoredBy | Should -Be $model.Name
    }

    It 'is reproducible with the same seed' {
        $a = $pairs | Select-Object -First 200 | Invoke-SimilarityTraining -Epochs 2 -Seed 9
        $b = $pairs | Select-Object -First 200 | Invoke-SimilarityTraining -Epochs 2 -Seed 9
        $sa = $pairs | Select-Object -First 20 | Measure-PatchSimilarity -Metric $a | ForEach-Object Score
        $sb = $pairs | Select-Object -First 20 | Measure-PatchSimilarity -Metric $b | ForEach-Object Score
        $sa | Should -Be $sb
    }

    It 'round-trips through a model file with identical scores' {
        $file = Join-Path $TestDrive 'model.dsim'
        $model | Export-SimilarityModel -Path $file
        $back = Import-SimilarityModel $file
        $s1 = $pairs | Select-Object -First 50 | Measure-PatchSimilarity -Metric $model | ForEach-Object Score
        $s2 = $pairs | Select-Object -First 50 | Measure-PatchSimilarity -Metric $back | ForEach-Object Score
        $s2 | Should -Be $s1
    }

    It 'honours -WhatIf and leaves no file' {
        $file = Join-Path $TestDrive 'whatif.dsim'
        $model | Export-SimilarityModel -Path $file -WhatIf
        Test-Path $file | Should -BeFalse
    }

    It 'reports a corrupt model file with a specific error' {
        $file = Join-Path $TestDrive 'corrupt.dsim'
        $model | Export-SimilarityModel -Path $file
        $bytes = [System.IO.File]::ReadAllBytes($file)
        [System.IO.File]::WriteAllBytes($file, $bytes[0..($bytes.Length / 2)])
        Import-SimilarityModel $file -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ModelFile*'
        "$($err[0].TargetObject)" | Should -BeLike '*corrupt.dsim'
    }

    It 'refuses pairs of another patch size for a model' {
        $small = Get-PatchPair $t1 $pd -PatchSize 9 -Count 2 -Seed 1 -Region Foreground
        $small | Measure-PatchSimilarity -Metric $model -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PatchSizeMismatch,*'
    }

    It 'writes a similarity map PNG with -PassThru and honours -WhatIf' {
        $png = Join-Path $TestDrive 'maps.png'
        $maps = Measure-PatchSimilarity -Metric $model, NMI -Fixed $t1 -Moving $pd -Center 90, 110 -SearchRadius 15
        @($maps).Count | Should -Be 2
        $maps[0] | Should -BeOfType DeepSim.Evaluation.SimilarityMap
        $maps | Export-SimilarityMap -Path (Join-Path $TestDrive 'none.png') -WhatIf
        Test-Path (Join-Path $TestDrive 'none.png') | Should -BeFalse
        $file = $maps | Export-SimilarityMap -Path $png -PassThru
        $file.Length | Should -BeGreaterThan 1000
        [System.IO.File]::ReadAllBytes($png)[1..3] | Should -Be @(0x50, 0x4E, 0x47)
    }
}

Describe 'Stopping long work (Ctrl+C)' -Skip:(-not $HasData) {
    It 'stops Invoke-SdaePretrain between batches and returns nothing' {
        $ps = [powershell]::Create()
        $null = $ps.AddScript({
                param($Manifest, $Png1, $Png2)
                Import-Module $Manifest
                $a = Import-MedicalImage $Png1; $b = Import-MedicalImage $Png2
                Get-PatchPair $a $b -Region Foreground -Count 2000 -Seed 1 | Invoke-SdaePretrain -EpochsPerLayer 500
            }).AddArgument($ModuleManifest).AddArgument((Join-Path $slices 'BrainT1Slice.png')).AddArgument((Join-Path $slices 'BrainProtonDensitySlice.png'))
        $async = $ps.BeginInvoke()
        # Wait until training reports progress, then stop it as Ctrl+C does.
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while ($ps.Streams.Progress.Count -eq 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        $ps.Streams.Progress.Count | Should -BeGreaterThan 0
        $ps.Stop()
        $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        { $ps.EndInvoke($async) } | Should -Throw '*pipeline has been stopped*'
        $ps.Streams.Error.Count | Should -Be 0
        $ps.Dispose()
    }
}

Describe 'Metric arguments' {
    It 'completes built-in metric names' {
        $line = 'Measure-PredictionError -Metric N'
        $names = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $names | Should -Contain 'NMI'
        $names | Should -Contain 'NCC'
    }

    It 'refuses an unknown metric name with the valid names' {
        $img = [DeepSim.Imaging.MedicalImage]::new([float[]]::new(64 * 64), 64, 64, 1, $null, $null, $null, 'memory', $null)
        { Measure-PredictionError -Metric 'Bogus' -Fixed $img -Moving $img -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownMetric,*'
    }
}
