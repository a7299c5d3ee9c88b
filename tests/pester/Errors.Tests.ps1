BeforeDiscovery { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModuleManifest -Force
    $random = [Random]::new(3)
    $voxels = [float[]]::new(48 * 48)
    for ($i = 0; $i -lt $voxels.Length; $i++) { $voxels[$i] = $random.Next(0, 256) }
    $image = [DeepSim.Imaging.MedicalImage]::new($voxels, 48, 48, 1, $null, $null, $null, 'memory', $null)
}

Describe 'Errors a user can rely on' {
    It 'spells every ErrorId once, in the catalogue, as its own name' {
        $fields = [DeepSim.PowerShell.Infrastructure.ErrorIds].GetFields() | Where-Object IsLiteral
        $fields.Count | Should -BeGreaterThan 30
        foreach ($f in $fields) { $f.GetValue($null) | Should -BeExactly $(if ($f.Name -eq 'ModelFilePrefix') { 'ModelFile' } else { $f.Name }) }
        @($fields | ForEach-Object { $_.GetValue($null) } | Sort-Object -Unique).Count | Should -Be $fields.Count
    }

    It 'reports a report folder that cannot be created as ReportWriteFailed with the folder as target and the I/O category' {
        $results = Measure-PredictionError -Metric NMI -Fixed $image -Moving $image -Region All -Count 4 -SearchRadius 4 -PatchSize 5 -Seed 1
        $results.HitRate | Should -Be 1
        $blocker = Join-Path $TestDrive 'a-file'
        Set-Content -LiteralPath $blocker -Value 'x'
        $folder = Join-Path $blocker 'report'
        $err = $null
        try { $results | Export-PredictionErrorReport -Path $folder -Resamples 10 -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'ReportWriteFailed,*'
        # A path through a file does not exist as a folder: .NET says DirectoryNotFound, the one I/O mapping ObjectNotFound.
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err.Exception | Should -BeOfType System.IO.DirectoryNotFoundException
        $err.TargetObject | Should -Be $folder
        $err.ToString() | Should -BeLike "Cannot write '$folder':*"
    }

    It 'names too few centers TooFewCenters, per image pair, without stopping the pipeline' {
        $r = Measure-PredictionError -Metric NMI -Fixed $image -Moving $image -Region All -Count 100000 -SearchRadius 4 -PatchSize 5 -Seed 1 -ErrorVariable err -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'TooFewCenters,*'
        $err[0].TargetObject | Should -BeOfType DeepSim.Imaging.ImagePair
    }
}
