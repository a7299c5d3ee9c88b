<#
.SYNOPSIS
Reproduces the libtorch 2.10 / oneDNN defect behind issue 9: a 1x1 convolution on a channels-last-strided input with a
batch larger than one returns wrong sums on some machines (AMD EPYC with AVX-512 here), while the same product as an
NCHW-contiguous convolution or as a GEMM is exact. Compares each with a float64 GEMM; prints one line per shape.

.EXAMPLE
dotnet pwsh -File bench/scoring/Test-OneDnn1x1Defect.ps1 -Threads 2
On 2026-12-02 (AMD EPYC, 2 vCPUs): channels-last errors 2.5-3.9 for every batch of 2 or more at 2 threads, and 3.8 for
a batch of 16 at 1 thread; NCHW convolution and GEMM within 1.4e-5.
#>
param([int] $Threads = 2, [string] $ModulePath = (Join-Path $PSScriptRoot '../../out/DeepSim/DeepSim.psd1'))
Import-Module $ModulePath
$null = Get-DeepSimRuntime
$t = [TorchSharp.torch]; $f = [TorchSharp.torch+nn+functional]; $F64 = [TorchSharp.torch+ScalarType]::Float64
$t::set_num_threads($Threads)
[TorchSharp.torch+random]::manual_seed(1) | Out-Null
foreach ($case in @(@(1,5,300),@(2,5,300),@(4,5,300),@(4,81,300),@(16,5,300),@(4,5,100),@(4,9,300))) {
  $n=$case[0]; $s=$case[1]; $o=$case[2]
  $h = $t::randn([long[]]@($n,$s,$s,578))
  $w = $t::randn([long[]]@($o,578)) * 0.05
  $b = $t::randn([long[]]@($o))
  $ref = $f::linear($h.reshape(-1,578).to_type($F64), $w.to_type($F64), $b.to_type($F64)).view($n,$s,$s,$o)
  $y1 = $f::conv2d($h.permute(0,3,1,2), $w.view($o,578,1,1), $b).permute(0,2,3,1)
  $y2 = $f::conv2d($h.permute(0,3,1,2).contiguous(), $w.view($o,578,1,1), $b).permute(0,2,3,1)
  $y3 = $f::linear($h.reshape(-1,578), $w, $b).view($n,$s,$s,$o)
  $d1 = ($y1.to_type($F64) - $ref).abs().max().item[double]()
  $d2 = ($y2.to_type($F64) - $ref).abs().max().item[double]()
  $d3 = ($y3.to_type($F64) - $ref).abs().max().item[double]()
  Write-Host ("threads={0} N={1} S={2} O={3}: channels-last conv {4:G3}; NCHW conv {5:G3}; linear {6:G3}" -f $threads,$n,$s,$o,$d1,$d2,$d3)
}
