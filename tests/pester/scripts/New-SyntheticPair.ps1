function New-SyntheticPair {
    <# Two structured images made from seeded sinusoids; the moving one is a non-linear remap of the fixed one (a stand-in
       for two modalities), so a learned metric has something to match. Deterministic for a seed. #>
    param([int] $Width = 112, [int] $Height = 104, [int] $Seed = 1)
    $rng = [Random]::new($Seed)
    $waves = 1..6 | ForEach-Object { @{ Fx = $rng.NextDouble() * 0.3; Fy = $rng.NextDouble() * 0.3; Phase = $rng.NextDouble() * 6.28; Amp = 20 + $rng.NextDouble() * 40 } }
    $a = [float[]]::new($Width * $Height)
    $b = [float[]]::new($Width * $Height)
    for ($y = 0; $y -lt $Height; $y++) {
        for ($x = 0; $x -lt $Width; $x++) {
            $v = 100.0
            foreach ($w in $waves) { $v += $w.Amp * [Math]::Sin($w.Fx * $x + $w.Fy * $y + $w.Phase) }
            $v += $rng.NextDouble() * 8
            $a[$y * $Width + $x] = $v
            $b[$y * $Width + $x] = 300 - 0.004 * $v * $v + $rng.NextDouble() * 5
        }
    }
    [pscustomobject]@{
        Fixed  = [DeepSim.Imaging.MedicalImage]::new($a, $Width, $Height, 1)
        Moving = [DeepSim.Imaging.MedicalImage]::new($b, $Width, $Height, 1)
    }
}
