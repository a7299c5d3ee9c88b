# The optimiser settings both trainers share (TrainingCmdlet), as a user passes them; self-made images, no ../shared.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'scripts/New-SyntheticPair.ps1')
    Import-Module $ModuleManifest -Force
    $pair = New-SyntheticPair -Width 64 -Height 60 -Seed 8
    $pairs = Get-PatchPair -Fixed $pair.Fixed -Moving $pair.Moving -Region All -Count 120 -Seed 2
}

Describe 'Invoke-SdaePretrain -Momentum' {
    It 'reaches the SGD optimiser: another momentum gives another model, the same momentum the same model' {
        $a = $pairs | Invoke-SdaePretrain -LayerSizes 578, 40, 20 -EpochsPerLayer 2 -Optimizer Sgd -LearningRate 0.05 -Momentum 0.9 -Seed 3
        $b = $pairs | Invoke-SdaePretrain -LayerSizes 578, 40, 20 -EpochsPerLayer 2 -Optimizer Sgd -LearningRate 0.05 -Momentum 0.0 -Seed 3
        $c = $pairs | Invoke-SdaePretrain -LayerSizes 578, 40, 20 -EpochsPerLayer 2 -Optimizer Sgd -LearningRate 0.05 -Momentum 0.9 -Seed 3
        $a.Autoencoders[-1].ReconstructionError | Should -Not -Be $b.Autoencoders[-1].ReconstructionError
        $a.Autoencoders[-1].ReconstructionError | Should -Be $c.Autoencoders[-1].ReconstructionError
    }

    It 'refuses a momentum of 1 or more' {
        { $pairs | Invoke-SdaePretrain -Momentum 1 -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,DeepSim.PowerShell.Commands.InvokeSdaePretrainCommand'
    }
}
