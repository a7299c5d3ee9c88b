# Trains the paper's fully connected metric on the aligned CT/MR pairs of patients 21 and 37 (none of case 2's pairs) and saves it.
param([string] $Module = (Join-Path $PSScriptRoot '../../../out/DeepSim/DeepSim.psd1'), [string] $Out = (Join-Path ([IO.Path]::GetTempPath()) 'paper-ctmr.dsim'))
$ErrorActionPreference = 'Stop'
Import-Module $Module -Force
$env:OMP_NUM_THREADS = '1'
# Patients (groups) 21 and 37 only: none of the 16 pairs the case-2 bench moves (groups 16, 20, 28, 32, 34).
$pairs = Import-ImagePair -FixedPath $PSScriptRoot/../../../../shared/data/ct-mr-head/CT -MovingPath $PSScriptRoot/../../../../shared/data/ct-mr-head/MR -Align | Where-Object { $_.Group -in '21', '37' }
"training pairs: $(@($pairs).Count)"
$cpu0 = [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalSeconds
$model = $pairs | Invoke-SimilarityTraining -Preset Paper -Seed 1 -Name 'paper-ctmr-g21g37'
"training CPU s: {0:F1}" -f ([Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalSeconds - $cpu0)
$model | Format-List | Out-String
$model | Export-SimilarityModel -Path $Out -Force
