# Pester 5 assertions for imaging QA: Should -HaveGeometry and Should -BeAlignedWith.
#
# Why a small script module nested in the manifest: Should operators are script blocks that Pester calls with
# -ActualValue/-Negate, and Add-ShouldOperator is a Pester function, so the natural home is PowerShell script in a
# runspace (per runspace, as Pester's own state is), not a static IModuleAssemblyInitializer (once per process, and
# without a runspace to call Pester in). Registration happens:
#   * at import, when Pester 5 is already loaded (Invoke-Pester first, then Import-Module DeepSim in BeforeAll);
#   * otherwise on the first lookup of Should after Pester has been loaded (DeepSim imported first, Pester later),
#     through a PreCommandLookupAction that chains to any earlier handler and is removed with the module;
#   * or explicitly with Register-DeepSimAssertion (e.g. after Import-Module Pester -Force, which resets Pester's state).
# Registering twice is harmless: Add-ShouldOperator ignores an identical operator.

Set-StrictMode -Version 3.0

function Format-DeepSimNumbers([double[]] $Values, [string] $Format = '0.####') {
    ($Values | ForEach-Object { $_.ToString($Format, [cultureinfo]::InvariantCulture) }) -join ' x '
}

function Get-DeepSimImageName($Image) {
    if ($null -ne $Image -and $Image.PSObject.Properties['Name']) { return "'$($Image.Name)'" }
    return "$Image"
}

function Format-DeepSimBecause([string] $Because) {
    if ([string]::IsNullOrWhiteSpace($Because)) { return '' }
    return " because $($Because.Trim())"
}

function Test-DeepSimGeometry {
    # Should -HaveGeometry [-Spacing <mm[]>] [-Size <int[]>] [-Origin <mm[]>] [-Tolerance <mm>]
    param($ActualValue, $Spacing, $Size, $Origin, $Tolerance, [switch] $Negate, [string] $Because)

    if ($null -eq $Spacing -and $null -eq $Size -and $null -eq $Origin) {
        throw 'Should -HaveGeometry needs at least one of -Spacing, -Size or -Origin.'
    }
    $tol = if ($null -ne $Tolerance) { [double] $Tolerance } else { 1e-3 }
    $image = $ActualValue
    if ($image -isnot [DeepSim.Imaging.MedicalImage]) {
        $what = if ($null -eq $image) { '$null' } else { "a $($image.GetType().Name)" }
        return [pscustomobject]@{ Succeeded = $false; FailureMessage = "Expected a MedicalImage (from Import-MedicalImage) to check its geometry, but got $what." }
    }

    $expected = [System.Collections.Generic.List[string]]::new()
    $measured = [System.Collections.Generic.List[string]]::new()
    $problems = [System.Collections.Generic.List[string]]::new()
    $axes = 'x', 'y', 'z'
    foreach ($check in @(
            @{ Name = 'spacing'; Want = $Spacing; Have = $image.Spacing; Unit = ' mm' }
            @{ Name = 'origin'; Want = $Origin; Have = $image.Origin; Unit = ' mm' }
        )) {
        if ($null -eq $check.Want) { continue }
        $want = [double[]] @($check.Want)
        if ($want.Count -lt 1 -or $want.Count -gt 3) { throw "Should -HaveGeometry -$($check.Name) takes 1 to 3 values (x, y, z), got $($want.Count)." }
        $have = [double[]] @($check.Have)[0..($want.Count - 1)]
        $expected.Add("$($check.Name) $(Format-DeepSimNumbers $want)$($check.Unit)")
        $measured.Add("$($check.Name) $(Format-DeepSimNumbers $have)$($check.Unit)")
        for ($i = 0; $i -lt $want.Count; $i++) {
            $d = [Math]::Abs($have[$i] - $want[$i])
            if (-not ($d -le $tol)) {
                $problems.Add(("{0} differs by {1}{2} on {3}" -f $check.Name, $d.ToString('0.####', [cultureinfo]::InvariantCulture), $check.Unit, $axes[$i]))
            }
        }
    }
    if ($null -ne $Size) {
        $want = [int[]] @($Size)
        if ($want.Count -lt 1 -or $want.Count -gt 3) { throw "Should -HaveGeometry -Size takes 1 to 3 values (x, y, z), got $($want.Count)." }
        $have = [int[]] @($image.Size)[0..($want.Count - 1)]
        $expected.Add("size $($want -join ' x ')")
        $measured.Add("size $($have -join ' x ')")
        for ($i = 0; $i -lt $want.Count; $i++) {
            if ($have[$i] -ne $want[$i]) { $problems.Add("size differs on $($axes[$i]) ($($have[$i]) voxels, not $($want[$i]))") }
        }
    }

    $succeeded = $problems.Count -eq 0
    if ($Negate) { $succeeded = -not $succeeded }
    $message = $null
    if (-not $succeeded) {
        $name = Get-DeepSimImageName $image
        $within = "within $($tol.ToString('0.####', [cultureinfo]::InvariantCulture)) mm per axis"
        $message = if ($Negate) {
            "Expected image $name not to have $($expected -join ', ') ($within)$(Format-DeepSimBecause $Because), but measured $($measured -join ', ')."
        }
        else {
            "Expected image $name to have $($expected -join ', ') ($within)$(Format-DeepSimBecause $Because), but measured $($measured -join ', '): $($problems -join '; ')."
        }
    }
    [pscustomobject]@{ Succeeded = $succeeded; FailureMessage = $message }
}

function Test-DeepSimAlignment {
    # Should -BeAlignedWith <fixed image> [-Within <mm>] [-Metric <name or SimilarityModel>]
    param($ActualValue, $Reference, $Within, $Metric, [switch] $Negate, [string] $Because)

    if ($null -eq $Reference) { throw 'Should -BeAlignedWith needs the image to compare with, e.g. $mr | Should -BeAlignedWith $ct -Within 1.' }
    $tolerance = if ($null -ne $Within) { [double] $Within } else { 1.0 }
    $command = Get-Command -Name Test-ImageAlignment -ErrorAction Ignore | Select-Object -First 1
    if ($null -eq $command) {
        throw 'Should -BeAlignedWith asks Test-ImageAlignment for the verdict, and no Test-ImageAlignment command is available in this session.'
    }

    # Bind by the names Test-ImageAlignment declares (fixed/reference image, moving image, tolerance in mm, metric).
    $names = @($command.Parameters.Keys)
    function Select-Name([string[]] $Candidates) { $Candidates | Where-Object { $names -contains $_ } | Select-Object -First 1 }
    $fixedName = Select-Name 'Fixed', 'FixedImage', 'Reference'
    $movingName = Select-Name 'Moving', 'MovingImage', 'Image'
    $toleranceName = Select-Name 'ToleranceMm', 'Tolerance', 'Within'
    if (-not $fixedName -or -not $movingName) {
        throw "Should -BeAlignedWith cannot call $($command.Name): it has no -Fixed/-Moving parameters (it has $($names -join ', '))."
    }
    $arguments = @{ $fixedName = $Reference; $movingName = $ActualValue; ErrorAction = 'Stop' }
    if ($toleranceName) { $arguments[$toleranceName] = $tolerance }
    if ($null -ne $Metric) { $arguments['Metric'] = $Metric }
    $verdict = & $command @arguments | Select-Object -Last 1
    if ($null -eq $verdict) { throw 'Test-ImageAlignment returned nothing.' }

    $maxMm = [double] $verdict.MaxDisplacementMm
    $aligned = if ($verdict.PSObject.Properties['Aligned'] -and $toleranceName) { [bool] $verdict.Aligned } else { $maxMm -le $tolerance }
    $succeeded = if ($Negate) { -not $aligned } else { $aligned }
    $message = $null
    if (-not $succeeded) {
        $inv = [cultureinfo]::InvariantCulture
        $metricName = if ($verdict.PSObject.Properties['Metric'] -and $verdict.Metric) { "$($verdict.Metric)" } elseif ($null -ne $Metric) { "$Metric" } else { 'the default metric' }
        $translation = if ($verdict.PSObject.Properties['Translation'] -and $null -ne $verdict.Translation) { '(' + ((@($verdict.Translation) | ForEach-Object { ([double] $_).ToString('0.##', $inv) }) -join ', ') + ')' }
        elseif ($verdict.PSObject.Properties['TranslationMm'] -and $null -ne $verdict.TranslationMm) { Format-DeepSimNumbers ([double[]] @($verdict.TranslationMm)) '0.##' }
        else { '?' }
        $rotation = if ($verdict.PSObject.Properties['RotationDegrees'] -and $null -ne $verdict.RotationDegrees) { Format-DeepSimNumbers ([double[]] @($verdict.RotationDegrees)) '0.##' } else { '?' }
        $confidence = if ($verdict.PSObject.Properties['Confidence'] -and $null -ne $verdict.Confidence) { ([double] $verdict.Confidence).ToString('0.##', $inv) } else { '?' }
        $measured = "a largest displacement of $($maxMm.ToString('0.##', $inv)) mm (translation $translation mm, rotation $rotation deg, confidence $confidence) by metric $metricName"
        $what = "image $(Get-DeepSimImageName $ActualValue) to be$(if ($Negate) { ' misaligned with' } else { ' aligned with' }) $(Get-DeepSimImageName $Reference) within $($tolerance.ToString('0.##', $inv)) mm"
        $message = "Expected $what$(Format-DeepSimBecause $Because), but Test-ImageAlignment measured $measured."
    }
    [pscustomobject]@{ Succeeded = $succeeded; FailureMessage = $message }
}

function Register-DeepSimAssertion {
    <#
    .SYNOPSIS
    Registers DeepSim's Pester assertions (Should -HaveGeometry, Should -BeAlignedWith) with the loaded Pester 5.

    .DESCRIPTION
    DeepSim registers its Should operators by itself: at import when Pester 5 is loaded, or at the first use of Should
    when Pester is loaded later. Call this after re-importing Pester with -Force (which forgets registered operators).
    Returns $true when Pester 5 was found and the operators are registered, $false (with a warning) otherwise.

    .EXAMPLE
    Import-Module Pester -Force; Register-DeepSimAssertion

    Registers the operators again after Pester's state was reset.

    .EXAMPLE
    $image | Should -HaveGeometry -Spacing 0.5, 0.5, 3 -Size 512, 512, 120

    What the registered operator checks: spacing in mm (within -Tolerance, default 0.001 mm) and size in voxels.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param()
    $pester = Get-Module -Name Pester | Where-Object { $_.Version.Major -ge 5 } | Sort-Object Version -Descending | Select-Object -First 1
    if ($null -eq $pester) {
        Write-Warning 'Pester 5 is not loaded: DeepSim''s Should operators were not registered (Import-Module Pester first).'
        return $false
    }
    & $pester { param($geometry, $alignment)
        Add-ShouldOperator -Name HaveGeometry -Test $geometry -InternalName 'Test-DeepSimGeometry'
        Add-ShouldOperator -Name BeAlignedWith -Test $alignment -InternalName 'Test-DeepSimAlignment'
    } ${function:Test-DeepSimGeometry} ${function:Test-DeepSimAlignment}
    $script:RegisteredWith = $pester
    return $true
}

$script:RegisteredWith = $null
$script:PreviousLookup = $ExecutionContext.InvokeCommand.PreCommandLookupAction

# Pester already loaded: register now.
if (Get-Module -Name Pester | Where-Object { $_.Version.Major -ge 5 }) {
    $null = Register-DeepSimAssertion
}

# Pester loaded later (or re-imported): register when Should is first looked up with that Pester.
$script:LookupHandler = {
    param([string] $CommandName, [System.Management.Automation.CommandLookupEventArgs] $EventArgs)
    if ($CommandName -eq 'Should' -or $CommandName -eq 'Pester\Should') {
        $pester = Get-Module -Name Pester | Where-Object { $_.Version.Major -ge 5 } | Select-Object -First 1
        if ($null -ne $pester -and -not [object]::ReferenceEquals($pester, $script:RegisteredWith)) {
            $null = Register-DeepSimAssertion 3>$null
        }
    }
    if ($null -ne $script:PreviousLookup) { $script:PreviousLookup.Invoke($CommandName, $EventArgs) }
}
$script:LookupHandler = [System.EventHandler[System.Management.Automation.CommandLookupEventArgs]] $script:LookupHandler
$ExecutionContext.InvokeCommand.PreCommandLookupAction = $script:LookupHandler

$ExecutionContext.SessionState.Module.OnRemove = {
    if ([object]::ReferenceEquals($ExecutionContext.InvokeCommand.PreCommandLookupAction, $script:LookupHandler)) {
        $ExecutionContext.InvokeCommand.PreCommandLookupAction = $script:PreviousLookup
    }
}

Export-ModuleMember -Function Register-DeepSimAssertion
