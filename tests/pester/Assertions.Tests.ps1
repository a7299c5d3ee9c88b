BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModuleManifest -Force
    $hasAlignment = [bool](Get-Command Test-ImageAlignment -Module DeepSim -ErrorAction Ignore)
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModuleManifest -Force
    function New-TestImage([double[]] $Spacing, [int[]] $Size = @(4, 3, 2), [double[]] $Origin = @(0, 0, 0)) {
        $g = [DeepSim.Imaging.ImageGeometry]::new($Spacing, $Origin, [double[]]@(1, 0, 0, 0, 1, 0, 0, 0, 1))
        [DeepSim.Imaging.MedicalImage]::new([float[]]::new($Size[0] * $Size[1] * $Size[2]), $Size[0], $Size[1], $Size[2], $g, 'CT', '/data/ct.nii', 'memory', $null)
    }
}

Describe 'Should -HaveGeometry' {
    It 'passes when spacing and size match within the tolerance' {
        $img = New-TestImage -Spacing 1, 1, 3
        $img | Should -HaveGeometry -Spacing 1, 1, 3 -Size 4, 3, 2
        $img | Should -HaveGeometry -Spacing 1.0004, 1, 3
        $img | Should -HaveGeometry -Spacing 1.2, 1, 3 -Tolerance 0.25
        $img | Should -HaveGeometry -Origin 0, 0, 0
    }

    It 'fails saying what was expected, what was measured and where it differs' {
        $img = New-TestImage -Spacing 0.5, 0.5, 5
        $e = { $img | Should -HaveGeometry -Spacing 1, 1, 3 -Size 4, 3, 2 -Because 'the protocol is 3 mm' } | Should -Throw -PassThru
        $e.Exception.Message | Should -BeLike "Expected image 'ct.nii' to have spacing 1 x 1 x 3 mm, size 4 x 3 x 2 (within 0.001 mm per axis) because the protocol is 3 mm, but measured spacing 0.5 x 0.5 x 5 mm, size 4 x 3 x 2: spacing differs by 0.5 mm on x; spacing differs by 0.5 mm on y; spacing differs by 2 mm on z."
        $e2 = { $img | Should -HaveGeometry -Size 4, 3, 20 } | Should -Throw -PassThru
        $e2.Exception.Message | Should -BeLike '*size differs on z (2 voxels, not 20)*'
    }

    It 'supports -Not' {
        $img = New-TestImage -Spacing 1, 1, 3
        $img | Should -Not -HaveGeometry -Spacing 2, 2, 2
        { $img | Should -Not -HaveGeometry -Spacing 1, 1, 3 } | Should -Throw -ExpectedMessage "*not to have spacing 1 x 1 x 3 mm*measured spacing 1 x 1 x 3 mm*"
    }

    It 'fails clearly on something that is not a MedicalImage' {
        { 'ct.nii' | Should -HaveGeometry -Spacing 1, 1, 1 } | Should -Throw -ExpectedMessage '*Expected a MedicalImage*got a String*'
    }

    It 'reads real geometry: the MNI template is 2 mm isotropic, 91 x 109 x 91' -Skip:(-not $HasData) {
        Import-MedicalImage (Join-Path $DataRoot 'mni-templates-3d/avg152T1.nii') | Should -HaveGeometry -Spacing 2, 2, 2 -Size 91, 109, 91
    }
}

Describe 'Registration of the Should operators' {
    BeforeAll {
        $exe = [Environment]::ProcessPath
        [string[]] $pwshArgs = if ([System.IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { @((Join-Path $PSHOME 'pwsh.dll')) } else { @() }
        $pesterPath = Join-Path (Get-Module Pester).ModuleBase 'Pester.psd1'
        function Invoke-Child {
            $first, $second = $ModuleManifest, $pesterPath
            $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$first'; Import-Module '$second'
`$c = New-PesterContainer -ScriptBlock { Describe 'd' {
    It 'geometry' {
        `$g = [DeepSim.Imaging.ImageGeometry]::new([double[]](1,1,3), [double[]](0,0,0), [double[]](1,0,0,0,1,0,0,0,1))
        [DeepSim.Imaging.MedicalImage]::new([float[]]::new(8), 2, 2, 2, `$g, `$null, `$null, 'memory', `$null) | Should -HaveGeometry -Spacing 1,1,3
    }
} }
`$r = Invoke-Pester -Container `$c -PassThru -Output None
"RESULT `$(`$r.PassedCount) `$(`$r.FailedCount)"
"@
            & $exe @pwshArgs -NoProfile -NonInteractive -Command $script 2>&1 | Out-String
        }
    }

    # Pester loaded before DeepSim is this suite's own order (Invoke-Pester, then Import-Module): the tests above use it.
    It 'works when DeepSim is loaded before Pester (a fresh pwsh)' {
        Invoke-Child | Should -Match 'RESULT 1 0'
    }

    It 'Register-DeepSimAssertion is idempotent and says so' {
        Register-DeepSimAssertion | Should -BeTrue
        Register-DeepSimAssertion | Should -BeTrue
    }
}

Describe 'Should -BeAlignedWith' {
    It 'passes on a copy and fails on a shifted image, naming the metric and the measured misalignment' -Skip:(-not $hasAlignment -or -not $HasData) {
        $ct = Import-MedicalImage (Join-Path $DataRoot 'mr-t1-pd-slice/BrainProtonDensitySlice.png')
        $shifted = Import-MedicalImage (Join-Path $DataRoot 'mr-t1-pd-slice/BrainProtonDensitySliceShifted13x17y.png')
        $ct | Should -BeAlignedWith $ct -Within 1
        $e = { $shifted | Should -BeAlignedWith $ct -Within 1 -Metric NCC } | Should -Throw -PassThru
        $e.Exception.Message | Should -BeLike "Expected image 'BrainProtonDensitySliceShifted13x17y.png' to be aligned with 'BrainProtonDensitySlice.png' within 1 mm, but Test-ImageAlignment measured a largest displacement of * mm*by metric *NCC*"
    }

    # A function in the assertions module's own scope shadows the cmdlet for the assertion only (nothing global
    # leaks into later test files), so this runs with or without the registration engine.
    Context 'with a stand-in Test-ImageAlignment (the assertion''s own logic, not the registration engine)' {
        BeforeAll {
            $standIn = {
                param($Fixed, $Moving, $Tolerance, $Metric)
                $max = if ($Moving.Name -eq $Fixed.Name) { 0.2 } else { 3.5 }
                [pscustomobject]@{ Aligned = $max -le $Tolerance; Translation = [double[]](3, 1.5, 0); RotationDegrees = 2; MaxDisplacementMm = $max; Confidence = 0.9; Metric = "$Metric" }
            }
            $assertions = Get-Module -All -Name DeepSim.Assertions | Select-Object -Last 1
            & $assertions { param($sb) Set-Item -Path function:script:Test-ImageAlignment -Value $sb } $standIn
            $a = New-TestImage -Spacing 1, 1, 1
            $b = [DeepSim.Imaging.MedicalImage]::new([float[]]::new(24), 4, 3, 2, $a.Geometry, 'MR', '/data/mr.nii', 'memory', $null)
        }
        AfterAll {
            & $assertions { Remove-Item -Path function:script:Test-ImageAlignment }
            Get-Command Test-ImageAlignment -CommandType Function -ErrorAction Ignore | Should -BeNullOrEmpty
        }

        It 'uses the verdict of Test-ImageAlignment and explains a failure' {
            $a | Should -BeAlignedWith $a -Within 1 -Metric MI
            $e = { $b | Should -BeAlignedWith $a -Within 1 -Metric MI } | Should -Throw -PassThru
            $e.Exception.Message | Should -Be "Expected image 'mr.nii' to be aligned with 'ct.nii' within 1 mm, but Test-ImageAlignment measured a largest displacement of 3.5 mm (translation (3, 1.5, 0) mm, rotation 2 deg, confidence 0.9) by metric MI."
            $b | Should -Not -BeAlignedWith $a -Within 1 -Metric MI
        }
    }
}
