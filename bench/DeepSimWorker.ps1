<#
.SYNOPSIS
One DeepSim workload of the issue-6 benchmark, run in a fresh pwsh by Invoke-Benchmarks.ps1. Prints one JSON line.
.DESCRIPTION
Tasks:
  setup        writes the training pairs (raw patches, ranges, labels), the evaluation images and the 300 centres to -WorkDir
  train        SDAE pre-training + fine-tuning (paper configuration, fixed epochs) on the same pairs; saves the model
  evaluate-dnn Measure-PredictionError with the trained model, 300 patches x 6,561 candidates (-Repeat times)
  evaluate-nmi Measure-PredictionError with NMI (per-patch binning, = scikit-image) and LCC; raw NMI scores written
  import       cold Import-Module plus the first cmdlet call (Import-MedicalImage), then the first TorchSharp call
  matmul       float32 4096^3 matmul through TorchSharp (the machine's reference rate)
Timings are Stopwatch seconds around the measured calls only; peakMiB is VmHWM of this process at the end.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][ValidateSet('setup', 'train', 'evaluate-dnn', 'evaluate-nmi', 'import', 'matmul')][string]$Task,
    [Parameter(Mandatory)][string]$ModulePath,
    [Parameter(Mandatory)][string]$WorkDir,
    [string]$DataPath = (Join-Path $PSScriptRoot '../../shared/data/ct-mr-head'),
    [int]$SdaeEpochs = 20,
    [int]$Epochs = 20,
    [int]$Repeat = 1,
    [string]$ModelFile = (Join-Path $WorkDir 'model.dsm')
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$evalSlice = '2004.png'
$result = [ordered]@{ task = $Task }

function Get-PeakMiB {
    $line = Get-Content /proc/self/status | Where-Object { $_ -like 'VmHWM:*' }
    [math]::Round(([double]($line -replace '[^0-9]', '')) / 1024, 1)
}

function Write-Floats([string]$Path, [float[]]$Values) {
    $bytes = [byte[]]::new($Values.Length * 4)
    [Buffer]::BlockCopy($Values, 0, $bytes, 0, $bytes.Length)
    [IO.File]::WriteAllBytes($Path, $bytes)
}

function Get-TrainingPair {
    # 10 CT/MR slices whose MI peak is at zero shift (mi-peak-shift.tsv), not the evaluation slice; 200 positives
    # (around the skull) + 200 random negatives each, seed fixed: 4,000 pairs.
    $names = Import-Csv (Join-Path $DataPath 'mi-peak-shift.tsv') -Delimiter "`t" |
        Where-Object { $_.PSObject.Properties.Value[1] -eq '0' -and $_.PSObject.Properties.Value[2] -eq '0' -and $_.PSObject.Properties.Value[0] -ne $evalSlice } |
        ForEach-Object { $_.PSObject.Properties.Value[0] } | Select-Object -First 10
    $i = 0
    foreach ($n in $names) {
        $i++
        $ct = Import-MedicalImage (Join-Path $DataPath "CT/$n")
        $mr = Import-MedicalImage (Join-Path $DataPath "MR/$n")
        Get-PatchPair -Fixed $ct -Moving $mr -Count 200 -Seed $i
    }
}

switch ($Task) {
    'import' {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        Import-Module $ModulePath
        $ct = Import-MedicalImage (Join-Path $DataPath "CT/$evalSlice")
        $result.importFirstCallSeconds = $sw.Elapsed.TotalSeconds
        $sw.Restart()
        $rt = Get-DeepSimRuntime
        $result.firstTorchCallSeconds = $sw.Elapsed.TotalSeconds
        $result.torchSharp = "$($rt.TorchSharpVersion)"
        $result.threads = $rt.Threads
        $result.ompWaitPolicy = "$($rt.OmpWaitPolicy)"
    }
    'setup' {
        Import-Module $ModulePath
        New-Item -ItemType Directory -Force -Path $WorkDir | Out-Null
        $pairs = @(Get-TrainingPair)
        $n = $pairs[0].FixedPatch.Length
        $raw = [float[]]::new($pairs.Count * 2 * $n)
        $meta = [float[]]::new($pairs.Count * 5)
        for ($k = 0; $k -lt $pairs.Count; $k++) {
            $p = $pairs[$k]
            [Array]::Copy($p.FixedPatch, 0, $raw, $k * 2 * $n, $n)
            [Array]::Copy($p.MovingPatch, 0, $raw, $k * 2 * $n + $n, $n)
            $meta[$k * 5] = $p.FixedRange.Min; $meta[$k * 5 + 1] = $p.FixedRange.Width
            $meta[$k * 5 + 2] = $p.MovingRange.Min; $meta[$k * 5 + 3] = $p.MovingRange.Width
            $meta[$k * 5 + 4] = [float][int]$p.IsMatch
        }
        Write-Floats (Join-Path $WorkDir 'pairs.f32') $raw
        Write-Floats (Join-Path $WorkDir 'pairs-meta.f32') $meta
        $ct = Import-MedicalImage (Join-Path $DataPath "CT/$evalSlice")
        $mr = Import-MedicalImage (Join-Path $DataPath "MR/$evalSlice")
        $ctVoxels = $ct.GetVoxels(); $mrVoxels = $mr.GetVoxels()
        Write-Floats (Join-Path $WorkDir 'fixed.f32') $ctVoxels
        Write-Floats (Join-Path $WorkDir 'moving.f32') $mrVoxels
        # The protocol's 300 centres (seed 1): the same seed gives the same centres for every metric.
        $r = Measure-PredictionError -Metric NCC -Fixed $ct -Moving $mr -Count 300 -SearchRadius 40 -Tolerance 1 -PatchSize 17 -Seed 1
        $centres = @($r.Errors | ForEach-Object { , @($_.Center.X, $_.Center.Y) })
        [ordered]@{ pairs = $pairs.Count; patch = 17; radius = 40; bins = 32; width = $ct.SizeX; height = $ct.SizeY
            fixedPath = 'fixed.f32'; movingPath = 'moving.f32'; fixedRange = @($ctVoxels | Measure-Object -Minimum -Maximum | ForEach-Object { $_.Minimum, $_.Maximum })
            movingRange = @($mrVoxels | Measure-Object -Minimum -Maximum | ForEach-Object { $_.Minimum, $_.Maximum }); centres = $centres
        } | ConvertTo-Json -Depth 5 -Compress | Set-Content (Join-Path $WorkDir 'input.json')
        $result.pairs = $pairs.Count
        $result.matches = @($pairs | Where-Object IsMatch).Count
    }
    'train' {
        Import-Module $ModulePath
        $pairs = @(Get-TrainingPair)
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $sdae = $pairs | Invoke-SdaePretrain -LayerSizes 578, 300, 100 -EpochsPerLayer $SdaeEpochs -BatchSize 64 -LearningRate 1e-3 -Optimizer Adam -Seed 1
        $result.sdaeSeconds = $sw.Elapsed.TotalSeconds
        $sw.Restart()
        $model = $pairs | Invoke-SimilarityTraining -Pretrained $sdae -HiddenLayerSizes 578, 300, 100 -Epochs $Epochs -BatchSize 64 -LearningRate 1e-3 -Optimizer Adam -EarlyStoppingPatience ($Epochs + 1) -Seed 1 -Name 'bench'
        $result.fineTuneSeconds = $sw.Elapsed.TotalSeconds
        $result.seconds = $result.sdaeSeconds + $result.fineTuneSeconds
        $result.epochs = $model.History.Count
        $result.lastValidationAccuracy = $model.History[-1].ValidationAccuracy
        $model | Export-SimilarityModel -Path $ModelFile
        # The trained weights for the PyTorch peer's evaluation (layer sizes in the JSON, W then b per layer).
        $all = [Collections.Generic.List[float]]::new()
        foreach ($l in $model.Layers) { $all.AddRange($l.Weights); $all.AddRange($l.Bias) }
        Write-Floats (Join-Path $WorkDir 'weights.f32') $all.ToArray()
        @{ sizes = $model.LayerSizes; activation = "$($model.Activation)"; normalization = "$($model.Normalization)" } | ConvertTo-Json -Compress | Set-Content (Join-Path $WorkDir 'weights.json')
    }
    'evaluate-dnn' {
        Import-Module $ModulePath
        $model = Import-SimilarityModel -Path $ModelFile
        $ct = Import-MedicalImage (Join-Path $DataPath "CT/$evalSlice")
        $mr = Import-MedicalImage (Join-Path $DataPath "MR/$evalSlice")
        $eval = @{ Fixed = $ct; Moving = $mr; Count = 300; SearchRadius = 40; Tolerance = 1; PatchSize = 17; Seed = 1 }
        $null = Measure-PredictionError -Metric $model @eval -Count 2 # warm-up (libtorch, oneDNN kernels)
        $times = @()
        for ($i = 0; $i -lt $Repeat; $i++) {
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $r = Measure-PredictionError -Metric $model @eval
            $times += $sw.Elapsed.TotalSeconds
        }
        $result.times = $times
        $result.seconds = ($times | Sort-Object)[[int][math]::Floor(($times.Count - 1) / 2)]
        $centres = [Collections.Generic.List[DeepSim.Patches.PatchCenter]]::new()
        foreach ($e in $r.Errors) { $centres.Add($e.Center) }
        $result.executedFlops = [DeepSim.Learning.SearchWindowFlops]::Executed($model, $centres, 40)
        $result.perQueryWindowFlops = [DeepSim.Learning.SearchWindowFlops]::PerQueryWindows($model, 300, 40)
        $result.naiveFlops = [DeepSim.Learning.SearchWindowFlops]::Naive($model, 300, 40)
        $result.errors = @($r.Errors | ForEach-Object Error)
        $result.meanError = $r.MeanError
        $model.Precision = 'BFloat16'
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $rb = Measure-PredictionError -Metric $model @eval
        $result.bf16Seconds = $sw.Elapsed.TotalSeconds
        $result.bf16Errors = @($rb.Errors | ForEach-Object Error)
    }
    'evaluate-nmi' {
        Import-Module $ModulePath
        $ct = Import-MedicalImage (Join-Path $DataPath "CT/$evalSlice")
        $mr = Import-MedicalImage (Join-Path $DataPath "MR/$evalSlice")
        $eval = @{ Fixed = $ct; Moving = $mr; Count = 300; SearchRadius = 40; Tolerance = 1; PatchSize = 17; Seed = 1; Bins = 32 }
        $null = Measure-PredictionError -Metric NMI @eval -Count 2 -HistogramRange PerPatch
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $r = Measure-PredictionError -Metric NMI @eval -HistogramRange PerPatch
        $result.seconds = $sw.Elapsed.TotalSeconds
        $result.meanError = $r.MeanError
        $sw.Restart()
        $rl = Measure-PredictionError -Metric LCC @eval
        $result.lccSeconds = $sw.Elapsed.TotalSeconds
        $result.lccMeanError = $rl.MeanError
        # Raw NMI scores of the first -Repeat queries (similarity maps), for the value comparison with scikit-image.
        $maps = [Collections.Generic.List[float]]::new()
        foreach ($e in @($r.Errors)[0..($Repeat - 1)]) {
            $m = Measure-PatchSimilarity -Metric NMI -Fixed $ct -Moving $mr -Center $e.Center.X, $e.Center.Y -SearchRadius 40 -PatchSize 17 -Bins 32 -HistogramRange PerPatch
            $maps.AddRange($m.Scores)
        }
        Write-Floats (Join-Path $WorkDir 'nmi-deepsim.f32') $maps.ToArray()
        $result.errors = @($r.Errors | ForEach-Object Error)
    }
    'matmul' {
        Import-Module $ModulePath
        $null = Get-DeepSimRuntime
        $a = [TorchSharp.torch]::rand([long[]]@(4096, 4096))
        $b = [TorchSharp.torch]::rand([long[]]@(4096, 4096))
        $null = $a.matmul($b)
        $times = @()
        for ($i = 0; $i -lt 5; $i++) {
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $c = $a.matmul($b)
            $times += $sw.Elapsed.TotalSeconds
            $c.Dispose()
        }
        $best = ($times | Measure-Object -Minimum).Minimum
        $result.gflops = 2.0 * [math]::Pow(4096, 3) / $best / 1e9
    }
}
$result.peakMiB = Get-PeakMiB
$result | ConvertTo-Json -Compress -Depth 4
