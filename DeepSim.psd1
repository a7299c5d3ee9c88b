@{
    RootModule           = 'DeepSim.PowerShell.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '5f0b8f8e-2a77-4b8c-9a39-0d1c6b0e9a41'
    Author               = 'DeepSim contributors'
    CompanyName          = 'DeepSim'
    Copyright            = '(c) DeepSim contributors. MIT licence.'
    Description          = 'Learns and applies similarity metrics for multimodal medical images (CT against MR, T1 against PD) with TorchSharp: multimodal stacked denoising autoencoder pre-training, a patch-pair similarity network, the prediction-error protocol, and classical measures (NMI, MI, NCC, LCC, correlation ratio) behind one metric interface.'
    PowerShellVersion    = '7.6'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('DeepSim.Format.ps1xml')
    # Pester 5 assertions (Should -HaveGeometry, -BeAlignedWith), registered by the script module itself.
    NestedModules        = @('DeepSim.Assertions.psm1')
    CmdletsToExport      = @(
        'Get-DeepSimRuntime'
        'Register-Image'
        'Test-ImageAlignment'
        'Export-ImageTransform'
        'Import-ImageTransform'
        'Import-MedicalImage'
        'Import-ImagePair'
        'Get-DicomTag'
        'Get-PatchPair'
        'Invoke-SdaePretrain'
        'Invoke-SimilarityTraining'
        'Measure-PatchSimilarity'
        'Measure-PredictionError'
        'Export-SimilarityMap'
        'Export-SimilarityModel'
        'Import-SimilarityModel'
        'Export-PredictionErrorReport'
        'Export-TrainingHistoryPlot'
        'Find-DicomStudy'
        'Find-DicomSeries'
        'Find-DicomInstance'
        'Export-MedicalImage'
        'Invoke-ImageResample'
    )
    FunctionsToExport    = @('Register-DeepSimAssertion')
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('medical-imaging', 'registration', 'similarity', 'deep-learning', 'TorchSharp', 'CT', 'MR', 'NIfTI', 'DICOM')
            ReleaseNotes = 'See CHANGELOG.md.'
        }
    }
}
