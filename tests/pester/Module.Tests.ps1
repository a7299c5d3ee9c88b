BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $manifest = Import-PowerShellDataFile $ModuleManifest
    $cmdlets = $manifest.CmdletsToExport | ForEach-Object { @{ Name = $_ } }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModuleManifest -Force
}

Describe 'The DeepSim module' {
    It 'loads TorchSharp inside pwsh and computes with it' {
        $info = Get-DeepSimRuntime
        $info.ProbeResult | Should -Be 5050
        $info.TorchSharpVersion | Should -BeLike '0.107.*'
    }

    It 'sets OMP_WAIT_POLICY=PASSIVE for libgomp unless the user chose a policy' {
        $expected = if ($env:OMP_WAIT_POLICY) { $env:OMP_WAIT_POLICY } else { 'PASSIVE' }
        (Get-DeepSimRuntime).OmpWaitPolicy | Should -Be $expected
    }

    It 'exports exactly the cmdlets and functions its manifest lists' {
        $manifest = Import-PowerShellDataFile $ModuleManifest
        (Get-Command -Module DeepSim).Name | Sort-Object | Should -Be (@($manifest.CmdletsToExport) + @($manifest.FunctionsToExport) | Sort-Object)
    }

    It 'ships no libtorch_python.so and no test backends' {
        $dir = Split-Path $ModuleManifest
        Get-ChildItem $dir -Filter 'libtorch_python.so' | Should -BeNullOrEmpty
        Get-ChildItem $dir -Filter '*_test.so' | Should -BeNullOrEmpty
        Get-ChildItem $dir -Filter 'libtorch_cpu.so' | Should -Not -BeNullOrEmpty
    }
}

Describe 'Help and metadata of <Name>' -ForEach $cmdlets {
    BeforeAll {
        $command = Get-Command $Name
        $help = Get-Help $Name -Full
    }

    It 'has a synopsis and a description' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -BeLike "$Name *"
        ($help.description | Out-String).Trim() | Should -Not -BeNullOrEmpty
    }

    It 'shows at least two examples with Get-Help -Examples' {
        $examples = (Get-Help $Name -Examples).examples.example
        @($examples).Count | Should -BeGreaterOrEqual 2
        foreach ($e in $examples) { $e.code | Should -Match $Name.Split('-')[0] -Because 'an example shows a real call' }
        (Get-Help $Name -Examples | Out-String) | Should -Match 'Example 2'
    }

    It 'documents every parameter' {
        $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
        foreach ($p in $command.Parameters.Keys | Where-Object { $_ -notin $common }) {
            $ph = $help.parameters.parameter | Where-Object name -eq $p
            ($ph.description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$p needs a description"
        }
    }

    It 'declares its output type' {
        $command.OutputType | Should -Not -BeNullOrEmpty
    }
}
