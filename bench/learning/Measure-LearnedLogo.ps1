<#
.SYNOPSIS
Leave-one-group-out evaluation of DeepSim's two-branch CNN similarity on ../shared/data/ct-mr-head, on exactly the
folds, test centres and protocol of examples/Reproduce-Paper.ps1 (so its rows sit beside the README's paper rows).

.DESCRIPTION
Per held-out group (sorted by name, fold i uses evaluation seed Seed + 7 i as Reproduce-Paper does): trains every
configuration of -Configurations on the image pairs of the other groups (Import-ImagePair -Align, pairs whose MI
peak lies on the search edge excluded), then measures the prediction error (300 patches in or around the skull,
search radius 40, tolerance 1, 17x17) of the trained models and of -Classical on the held-out group. Writes the pooled
and per-group table (95% bootstrap intervals) and per-patch errors into -OutputPath, and the training seconds per fold.

.EXAMPLE
dotnet pwsh -File bench/learning/Measure-LearnedLogo.ps1 -OutputPath ./out/logo -Seed 1
The recommended configuration on all seven folds, beside LCC.

.EXAMPLE
dotnet pwsh -File bench/learning/Measure-LearnedLogo.ps1 -Folds 3 -Configurations @(@{ Name = 'no-aug'; NoAugmentation = $true }) -OutputPath ./out/logo-noaug
An ablation on the first three folds.

.EXAMPLE
dotnet pwsh -File bench/learning/Measure-LearnedLogo.ps1 -HeldOut 16,20 -Configurations @(@{ Name = 'two-channel'; Preset = 'TwoChannel' }) -OutputPath ./out/logo-2ch
The two-channel CNN on the screening folds 16 and 20.
#>
[CmdletBinding()]
param(
    [string] $DataPath = (Join-Path $PSScriptRoot '../../../shared/data/ct-mr-head'),
    [string] $OutputPath = './out/learned-logo',
    [int] $Seed = 1,
    # Number of folds (groups in name order); 0 = all seven.
    [int] $Folds = 0,
    # Each entry: Name plus any Invoke-SimilarityTraining parameters (image-pair input).
    [hashtable[]] $Configurations = @(@{ Name = 'DeepSim CNN (InfoNCE)' }),
    [string[]] $Classical = @('LCC'),
    [int] $TestPatches = 300,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../out/DeepSim/DeepSim.psd1'),
    # Only these held-out groups (fold numbers, seeds and centres stay those of the full run), e.g. to split the
    # folds over two processes; combine the outputs with -CombineFrom. With -CombineFrom: pool only these groups.
    [string[]] $HeldOut = @(),
    # Output folders of earlier partial runs: pools their errors.csv into one report in -OutputPath (no training).
    [string[]] $CombineFrom = @()
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
Import-Module $ModulePath -Force
$clock = [System.Diagnostics.Stopwatch]::StartNew()
if ($CombineFrom.Count -gt 0) {
    New-Item -ItemType Directory -Force -Path $OutputPath | Out-Null
    # A (held-out group, metric) found in several parts (LCC is in every part) is taken from the first part that has
    # it; with -HeldOut only those groups are pooled (e.g. to compare runs on the screening folds).
    $seen = @{}
    $rows = @(foreach ($dir in $CombineFrom) {
            $part = @(Import-Csv (Join-Path $dir 'errors.csv') | Where-Object { $HeldOut.Count -eq 0 -or $HeldOut -contains $_.Source })
            $keys = @($part | ForEach-Object { "$($_.Source)|$($_.Metric)" } | Select-Object -Unique | Where-Object { -not $seen.ContainsKey($_) })
            $keys | ForEach-Object { $seen[$_] = $dir }
            $part | Where-Object { $seen["$($_.Source)|$($_.Metric)"] -eq $dir }
        })
    $options = [DeepSim.Evaluation.PredictionErrorOptions]@{ SearchRadius = 40; Tolerance = 1; PatchSize = 17 }
    $combined = foreach ($g in ($rows | Group-Object Source, Metric | Sort-Object { $_.Group[0].Source }, { $_.Group[0].Metric })) {
        $errors = [System.Collections.Generic.List[DeepSim.Evaluation.PatchPredictionError]]::new()
        foreach ($r in $g.Group) {
            $e = [int]$r.Error
            $errors.Add([DeepSim.Evaluation.PatchPredictionError]::new([DeepSim.Patches.PatchCenter]::new([int]$r.X, [int]$r.Y, 0), $e + 1, $e, [DeepSim.Evaluation.SearchOffset]::new(0, 0), [float]::NaN, [float]::NaN))
        }
        $res = [DeepSim.Evaluation.PredictionErrorResult]::FromErrors($g.Group[0].Metric, $errors, $options)
        $res.Source = $g.Group[0].Source
        $res
    }
    $summary = $combined | Export-PredictionErrorReport -Path $OutputPath -Resamples 2000 -Seed $Seed -Title 'Prediction error, leave-one-group-out (two-branch CNN)'
    $rows | Export-Csv -Path (Join-Path $OutputPath 'errors.csv') -NoTypeInformation
    # Parts written by older versions of this script lack some columns: keep the union.
    $training = @($CombineFrom | ForEach-Object { Import-Csv (Join-Path $_ 'training.csv') })
    $columns = @($training | ForEach-Object { $_.PSObject.Properties.Name } | Select-Object -Unique)
    $training | Select-Object $columns | Export-Csv -Path (Join-Path $OutputPath 'training.csv') -NoTypeInformation
    @{ Seed = $Seed; CombinedFrom = $CombineFrom; HeldOut = $HeldOut; Parts = @($CombineFrom | ForEach-Object { Get-ChildItem (Join-Path $_ 'config*.json') | ForEach-Object { Get-Content -Raw $_ | ConvertFrom-Json } }) } | ConvertTo-Json -Depth 6 |
        Set-Content (Join-Path $OutputPath 'config.json')
    $summary | Where-Object Source -eq 'pooled' | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
    return
}
$pairs = @(Import-ImagePair -FixedPath (Join-Path $DataPath 'CT') -MovingPath (Join-Path $DataPath 'MR') -Align -MaxShift 8)
$pairs = @($pairs | Where-Object { -not $_.Shift.AtSearchBorder })
$groups = @($pairs | Group-Object Group | Sort-Object Name)
if ($Folds -gt 0) { $groups = @($groups | Select-Object -First $Folds) }
$allGroups = @($groups | ForEach-Object Name)
New-Item -ItemType Directory -Force -Path $OutputPath | Out-Null
$results = [System.Collections.Generic.List[object]]::new()
$timings = [System.Collections.Generic.List[object]]::new()
$foldIndex = 0
foreach ($fold in $groups) {
    $foldIndex = [Array]::IndexOf($allGroups, $fold.Name) + 1
    if ($HeldOut.Count -gt 0 -and $HeldOut -notcontains $fold.Name) { continue }
    $train = @($pairs | Where-Object { $_.Group -ne $fold.Name })
    $models = foreach ($c in $Configurations) {
        $args2 = @{} + $c; $args2.Remove('Name'); $name = $c.Name
        $t = [System.Diagnostics.Stopwatch]::StartNew()
        if ($c.ContainsKey('Options')) {
            # Core options not exposed as cmdlet parameters (ablations): call the trainer directly.
            # Trainer = 'TwoChannel' trains the two-channel CNN (start from [DeepSim.Learning.FeatureTrainingOptions]::TwoChannel).
            $o = $c.Options.Clone(); $o.Seed = $Seed
            if ($c.ContainsKey('Trainer') -and $c.Trainer -eq 'TwoChannel') {
                $m = [DeepSim.Learning.TwoChannelSimilarityTrainer]::Train([DeepSim.Imaging.ImagePair[]]$train, [DeepSim.Learning.FeatureTrainingOptions]$o, $null, [Threading.CancellationToken]::None, $name)
            } else {
                $m = [DeepSim.Learning.FeatureSimilarityTrainer]::Train([DeepSim.Imaging.ImagePair[]]$train, [DeepSim.Learning.FeatureTrainingOptions]$o, $null, [Threading.CancellationToken]::None, $name)
            }
        } else {
            # -Preset Cnn unless the configuration names another (e.g. Preset = 'TwoChannel').
            if (-not $args2.ContainsKey('Preset')) { $args2.Preset = 'Cnn' }
            $m = $train | Invoke-SimilarityTraining @args2 -Seed $Seed -Name $name
        }
        $t.Stop()
        $last = $m.History[-1]
        # The LCC-anchored CNN's trained weight (score = cosine + weight x LCC); empty for other models.
        $anchorWeight = if ($m.PSObject.Properties['AnchorWeight']) { $m.AnchorWeight } else { $null }
        # The context view's trained weight (score adds weight x context cosine); empty without one.
        $contextWeight = if ($m.PSObject.Properties['ContextWeight']) { $m.ContextWeight } else { $null }
        $timings.Add([pscustomobject]@{ Fold = $fold.Name; Model = $name; TrainSeconds = [Math]::Round($t.Elapsed.TotalSeconds, 1); FinalLoss = $last.TrainLoss; TrainTop1 = $last.TrainAccuracy
                AnchorWeight = $anchorWeight; ContextWeight = $contextWeight; LoadAverage = ((Get-Content /proc/loadavg -ErrorAction SilentlyContinue) -split ' ')[0] })
        Write-Host ("fold {0} ({1}): {2} trained in {3:N0} s, loss {4:N3}, top-1 {5:P1}, anchor weight {6}, context weight {7}" -f $foldIndex, $fold.Name, $name, $t.Elapsed.TotalSeconds, $last.TrainLoss, $last.TrainAccuracy, $anchorWeight, $contextWeight)
        $m
    }
    $evalArgs = @{ Metric = @($models) + $Classical; Count = $TestPatches; SearchRadius = 40; Tolerance = 1; Seed = $Seed + 7 * $foldIndex; Bins = 32
        HistogramRange = 'Image'; LccWindowRadius = 2; PatchSize = 17; Pool = $true; SourceName = "$($fold.Name)"; Region = 'Skull'; DilationRadius = 3 }
    $t = [System.Diagnostics.Stopwatch]::StartNew()
    $foldResults = @($fold.Group | Measure-PredictionError @evalArgs)
    $t.Stop()
    $foldResults | ForEach-Object { $results.Add($_) }
    $foldResults | Format-Table Metric, Count, MeanError, MedianError, HitRate -AutoSize | Out-String | Write-Host
    Write-Host ("fold {0}: evaluation {1:N0} s" -f $foldIndex, $t.Elapsed.TotalSeconds)
    # Every finished fold is on disk at once (a crash in a later fold keeps it; -CombineFrom reads these files).
    $results | ForEach-Object { $r = $_; $r.Errors | ForEach-Object { [pscustomobject]@{ Source = $r.Source; Metric = $r.Metric; X = $_.Center.X; Y = $_.Center.Y; Error = $_.Error } } } |
        Export-Csv -Path (Join-Path $OutputPath 'errors.csv') -NoTypeInformation
    $timings | Export-Csv -Path (Join-Path $OutputPath 'training.csv') -NoTypeInformation
    @{ Seed = $Seed; Folds = $groups.Count; HeldOut = $HeldOut; Configurations = $Configurations; Classical = $Classical; Partial = $true } | ConvertTo-Json -Depth 4 |
        Set-Content (Join-Path $OutputPath 'config.json')
}
$summary = $results | Export-PredictionErrorReport -Path $OutputPath -Resamples 2000 -Seed $Seed -Title 'Prediction error, leave-one-group-out (two-branch CNN)'
$results | ForEach-Object { $r = $_; $r.Errors | ForEach-Object { [pscustomobject]@{ Source = $r.Source; Metric = $r.Metric; X = $_.Center.X; Y = $_.Center.Y; Error = $_.Error } } } |
    Export-Csv -Path (Join-Path $OutputPath 'errors.csv') -NoTypeInformation
$timings | Export-Csv -Path (Join-Path $OutputPath 'training.csv') -NoTypeInformation
@{ Seed = $Seed; Folds = $groups.Count; HeldOut = $HeldOut; Configurations = $Configurations; Classical = $Classical; RunSeconds = [Math]::Round($clock.Elapsed.TotalSeconds, 1) } | ConvertTo-Json -Depth 4 |
    Set-Content (Join-Path $OutputPath 'config.json')
$summary | Where-Object Source -eq 'pooled' | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
Write-Host ("{0:N0} s in total" -f $clock.Elapsed.TotalSeconds)
